package clientrules

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// File inputs and uploads: the Go copy of collect.js's rule for file
// inputs and of what the upload code does to the page (the upload chunk,
// liveview.uploads.js). The protocol itself (announce, chunks, acks, the
// event last) is liveviewtest's, which plays the network.
//
//   - A file input's form value is the names of its files: a string (""
//     without files) or, for <input multiple>, the list of names ([]
//     without files).
//   - An event whose collected fields include file inputs with files
//     uploads them first (Event.Files, in field order, then the order the
//     files were chosen) and carries the upload's id (Event.Upload).
//   - On each acknowledged chunk, every <progress
//     data-liveview-upload-progress="<field>"> gets value = the bytes of
//     that file received, max = its size (UploadProgress).
//   - A refusal puts its message into every
//     [data-liveview-upload-error="<field>"] element of the refused field
//     (of every field of the upload when the whole upload was refused),
//     and the trigger's loading state ends (UploadRefused).

// File is a file chosen in a file input: its name, its type as the
// browser reports it and its bytes.
type File struct {
	Name, Type string
	Content    []byte
}

// UploadFile is one file an event uploads, with its input and the
// input's name.
type UploadFile struct {
	Field string
	Input *html.Node
	File
}

// SetFiles is a person choosing files in the file input el (replacing
// what it had; none clears it): the focus moves to it, then input and
// change fire, as after the browser's file dialog.
func (c *Client) SetFiles(el *html.Node, files []File) (*Outcome, error) {
	switch {
	case InputType(el) != "file":
		return nil, fmt.Errorf("%w: %s is not an <input type=\"file\">", ErrUnusable, Describe(el))
	case Disabled(el):
		return nil, fmt.Errorf("%w: %s is disabled", ErrUnusable, Describe(el))
	case len(files) > 1 && !hasAttr(el, "multiple"):
		return nil, fmt.Errorf("%w: %s is not multiple: choose one file, not %d", ErrUnusable, Describe(el), len(files))
	}
	if c.files == nil {
		c.files = map[*html.Node][]File{}
	}
	c.files[el] = append([]File(nil), files...)
	c.begin()
	c.moveFocus(el)
	c.out.Changed = true
	c.fire(el, "input", true)
	c.fire(el, "change", true)
	return c.end(), nil
}

// Files returns the files chosen in the file input el.
func (c *Client) Files(el *html.Node) []File {
	if documentOf(el) != c.doc {
		return nil // a replaced input has none
	}
	return c.files[el]
}

// collectForm is CollectForm with the files chosen in file inputs: their
// names as the fields' values, and the files the event uploads.
func (c *Client) collectForm(el *html.Node) (*Object, []UploadFile) {
	var up []UploadFile
	form := collectForm(el, func(f *html.Node) []File {
		files := c.Files(f)
		name := attrOr(f, "name", "")
		for _, file := range files {
			up = append(up, UploadFile{Field: name, Input: f, File: file})
		}
		return files
	})
	return form, up
}

// fileValue is a file input's form value: the names of files.
func fileValue(f *html.Node, files []File) any {
	names := make([]string, len(files))
	for i, file := range files {
		names[i] = file.Name
	}
	if hasAttr(f, "multiple") {
		return names
	}
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// UploadProgress is what the upload code does when a chunk of f is
// acknowledged, loaded of its bytes having arrived (and, with loaded 0,
// when the upload of an empty f is accepted): its field's <progress
// data-liveview-upload-progress> elements show loaded of its size (max
// only when the size is not 0), and its input's --liveview-upload-progress
// CSS variable becomes loaded/size (1 for an empty file), written into the
// style attribute as a browser serialises it.
func (c *Client) UploadProgress(f UploadFile, loaded int64) {
	total := int64(len(f.Content))
	for _, el := range QueryAll(c.doc, attrIs("data-liveview-upload-progress", f.Field)) {
		if tag(el) != "progress" {
			continue
		}
		SetAttr(el, "value", strconv.FormatInt(loaded, 10))
		if total > 0 {
			SetAttr(el, "max", strconv.FormatInt(total, 10))
		}
	}
	if f.Input != nil {
		ratio := 1.0
		if total > 0 {
			ratio = float64(loaded) / float64(total)
		}
		style, _ := Attr(f.Input, "style")
		SetAttr(f.Input, "style", setStyleProperty(style, "--liveview-upload-progress", jsNumber(ratio)))
	}
}

// setStyleProperty is element.style.setProperty(name, value) on a style
// attribute, serialised as Chromium does: "name: value;" declarations
// joined by one space, a new property last, an existing one replaced in
// place.
func setStyleProperty(style, name, value string) string {
	var decls []string
	found := false
	for _, d := range strings.Split(style, ";") {
		k, v, ok := strings.Cut(d, ":")
		if k = strings.TrimSpace(k); !ok || k == "" {
			continue
		}
		v = strings.TrimSpace(v)
		if k == name {
			v, found = value, true
		}
		decls = append(decls, k+": "+v+";")
	}
	if !found {
		decls = append(decls, name+": "+value+";")
	}
	return strings.Join(decls, " ")
}

// UploadStarted is what the upload code does as it announces the files of
// fields: their [data-liveview-upload-error] elements are emptied (an
// earlier refusal's message goes).
func (c *Client) UploadStarted(fields []string) {
	for _, field := range fields {
		for _, el := range QueryAll(c.doc, attrIs("data-liveview-upload-error", field)) {
			setTextContent(el, "")
		}
	}
}

// UploadRefused is what the upload code does when the server refuses the
// upload of the event with ref: message goes into the
// [data-liveview-upload-error] elements of fields, the event is not sent
// and its trigger's loading state ends.
func (c *Client) UploadRefused(ref int, fields []string, message string) {
	for _, field := range fields {
		for _, el := range QueryAll(c.doc, attrIs("data-liveview-upload-error", field)) {
			setTextContent(el, message)
		}
	}
	c.finishLoading(ref)
}

// attrIs matches elements whose attribute name is value.
func attrIs(name, value string) matcherFunc {
	return func(n *html.Node) bool {
		v, ok := Attr(n, name)
		return ok && v == value
	}
}
