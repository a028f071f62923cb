package clientrules

import (
	"strings"
	"testing"
)

func TestFileInputs(t *testing.T) {
	body := `<form data-action="submit->page#run:prevent" data-liveview-function="save">
<input name="title" value="t">
<input type="file" name="avatar" accept="image/*">
<input type="file" name="docs" multiple>
<input type="file" name="other">
<progress data-liveview-upload-progress="docs"></progress><div data-liveview-upload-progress="docs"></div>
<span data-liveview-upload-error="avatar">old</span><span data-liveview-upload-error="docs"></span>
<button id="go">Save</button></form>`
	c, doc := page(t, body)
	avatar, docs := find(t, doc, "[name=avatar]"), find(t, doc, "[name=docs]")

	// Without files: "" and [].
	out, err := c.Click(find(t, doc, "#go"))
	if err != nil || len(out.Events) != 1 {
		t.Fatalf("click: %v %v", out, err)
	}
	e := out.Events[0]
	if got, want := string(e.JSON()), `{"function":"save","data":{},"form":{"title":"t","avatar":"","docs":[],"other":""},"ref":1,"lang":"en","room":"r1"}`; got != want {
		t.Fatalf("without files:\n got %s\nwant %s", got, want)
	}
	if len(e.Files) != 0 {
		t.Fatalf("files %v", e.Files)
	}

	// Choosing files fires input and change; a single input takes one.
	if _, err := c.SetFiles(avatar, []File{{Name: "a.png"}, {Name: "b.png"}}); err == nil || !strings.Contains(err.Error(), "not multiple") {
		t.Fatalf("two files in a single input: %v", err)
	}
	if _, err := c.SetFiles(find(t, doc, "[name=title]"), nil); err == nil {
		t.Fatal("SetFiles on a text input")
	}
	if _, err := c.SetFiles(avatar, []File{{Name: "me.png", Type: "image/png", Content: []byte("p")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetFiles(docs, []File{{Name: "1.txt", Content: make([]byte, 120)}, {Name: "2.txt"}}); err != nil {
		t.Fatal(err)
	}
	out, _ = c.Click(find(t, doc, "#go"))
	e = out.Events[0]
	if got, want := string(e.JSON()), `{"function":"save","data":{},"form":{"title":"t","avatar":"me.png","docs":["1.txt","2.txt"],"other":""},"ref":2,"lang":"en","room":"r1"}`; got != want {
		t.Fatalf("with files:\n got %s\nwant %s", got, want)
	}
	var fields []string
	for _, f := range e.Files {
		fields = append(fields, f.Field+"/"+f.Name)
	}
	if strings.Join(fields, " ") != "avatar/me.png docs/1.txt docs/2.txt" {
		t.Fatalf("uploads %v", fields)
	}
	e.Upload = 7
	if got := string(e.JSON()); !strings.Contains(got, `"ref":2,"upload":7,"lang":"en"`) {
		t.Fatalf("upload key: %s", got)
	}

	// Progress and refusals.
	c.UploadProgress(e.Files[1], 60) // docs/1.txt
	if got := attrOr(docs, "style", ""); got != "--liveview-upload-progress: 0.5;" {
		t.Fatalf("the input's style %q", got)
	}
	if v, _ := Attr(find(t, doc, "progress"), "value"); v != "60" {
		t.Fatalf("progress value %q", v)
	}
	if m, _ := Attr(find(t, doc, "progress"), "max"); m != "120" {
		t.Fatalf("progress max %q", m)
	}
	if hasAttr(find(t, doc, "div[data-liveview-upload-progress]"), "value") {
		t.Fatal("a div got a value")
	}
	if !c.Pending(2) {
		t.Fatal("ref 2 not pending")
	}
	c.UploadRefused(2, []string{"avatar"}, "me.png is larger than 1 KB.")
	if got := TextContent(find(t, doc, "[data-liveview-upload-error=avatar]")); got != "me.png is larger than 1 KB." {
		t.Fatalf("error text %q", got)
	}
	if TextContent(find(t, doc, "[data-liveview-upload-error=docs]")) != "" || c.Pending(2) {
		t.Fatal("other field's error, or the loading state left")
	}

	// A frame's upload object goes to the upload code, nothing else.
	res := c.ApplyFrame([]byte(`{"upload":{"id":7,"file":0,"received":60}}`))
	if string(res.Upload) != `{"id":7,"file":0,"received":60}` || res.Applied || res.Error || len(res.Outcome.Notes) > 0 {
		t.Fatalf("upload frame: %+v", res)
	}
	if res := c.ApplyFrame([]byte(`{"target":"#x","html":""}`)); res.Upload != nil {
		t.Fatal("upload in a frame without it")
	}
}

// A replaced file input has no files, as in the browser.
func TestFileInputReplaced(t *testing.T) {
	c, doc := page(t, `<div id="box"><input type="file" name="f" data-action="change->page#run" data-liveview-function="pick"></div>`)
	out, err := c.SetFiles(find(t, doc, "[name=f]"), []File{{Name: "x.txt"}})
	if err != nil || len(out.Events) != 1 || string(out.Events[0].JSON()) != `{"function":"pick","data":{},"form":{"f":"x.txt"},"ref":1,"lang":"en","room":"r1"}` {
		t.Fatalf("change on choosing: %v %v", out, err)
	}
	c.ApplyFrame([]byte(`{"target":"#box","html":"<input type=\"file\" name=\"f\">"}`))
	if got := c.Files(find(t, doc, "[name=f]")); got != nil {
		t.Fatalf("files of the new input: %v", got)
	}
}

// TestStyleProperty checks the Go copy of element.style.setProperty and
// of String(number) for the input's --liveview-upload-progress.
func TestStyleProperty(t *testing.T) {
	for _, tc := range []struct{ style, want string }{
		{"", "--p: 0.5;"},
		{"color: red", "color: red; --p: 0.5;"},
		{"color:red;--p:1;", "color: red; --p: 0.5;"},
		{" --p: 0 ; margin: 0 ", "--p: 0.5; margin: 0;"},
		{";;", "--p: 0.5;"},
	} {
		if got := setStyleProperty(tc.style, "--p", "0.5"); got != tc.want {
			t.Errorf("setStyleProperty(%q) = %q, want %q", tc.style, got, tc.want)
		}
	}
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0, "0"}, {1, "1"}, {0.5, "0.5"}, {1.0 / 3, "0.3333333333333333"}, {0.000001, "0.000001"},
		{1e-7, "1e-7"}, {2.5e-10, "2.5e-10"}, {1e21, "1e+21"}, {-1.5e22, "-1.5e+22"}, {123.25, "123.25"},
	} {
		if got := jsNumber(tc.v); got != tc.want {
			t.Errorf("jsNumber(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
