package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/echo-liveview/liveview"
)

// /p/uploads: the browser client's uploads. up_one takes one file of at
// most 1 MB, up_many several (the default limits), up_big one of at most
// 200 MB; each lists what it got in #result, with each file's SHA-256, and
// logs the event in #log. up_ping answers at once, also while files
// upload.

// uploadConfig is the default Hub's Config.Upload.
var uploadConfig = liveview.UploadConfig{Functions: map[string]liveview.UploadLimits{
	"up_one": {MaxFileSize: 1 << 20},
	"up_big": {MaxFileSize: 200 << 20},
	// /p/rules' upload step: a file over 1000 bytes is refused.
	"rules_upload": {MaxFileSize: 1000},
}}

// uploadedFile is a file as #result lists it.
type uploadedFile struct {
	Field, Name, Type, SHA string
	Size                   int64
}

func init() {
	liveview.Handle("up_one", listFiles("#result", "avatar"))
	liveview.Handle("up_many", listFiles("#result", "docs"))
	liveview.Handle("up_big", listFiles("#result", "big"))
	liveview.Handle("rules_upload", listFiles("#r-up-result", "r_file"))
	liveview.Handle("up_ping", func(c *liveview.Context) error {
		n, _ := c.Get("pings").(int)
		c.Set("pings", n+1)
		return c.HTML("#pong", fmt.Sprintf("pong %d", n+1))
	})
}

// listFiles renders the files of field into target.
func listFiles(target, field string) liveview.HandlerFunc {
	return func(c *liveview.Context) error {
		if err := record(c); err != nil {
			return err
		}
		var list []uploadedFile
		for _, f := range c.FormFiles(field) {
			sum, err := sha256Of(f)
			if err != nil {
				return err
			}
			list = append(list, uploadedFile{Field: f.Field, Name: f.Name, Type: f.ContentType, Size: f.Size, SHA: sum})
		}
		return c.Render(target, "uploads_result.html", list)
	}
}

// sha256Of returns the hex SHA-256 of f's bytes.
func sha256Of(f *liveview.File) (string, error) {
	r, err := f.Open()
	if err != nil {
		return "", err
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", fmt.Errorf("liveview: reading %s: %w", f.Name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
