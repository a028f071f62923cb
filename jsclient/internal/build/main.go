// Command build bundles the browser client with esbuild's Go API.
//
// Usage, from jsclient/internal/build (go generate ./jsclient does this):
//
//	go run . ../..
//
// The argument is the jsclient directory. It first writes the upload chunk,
// the IIFE of src/uploads.js that the client loads only when an event has
// files to upload: dist/liveview.uploads.js (readable) and
// dist/liveview.uploads.min.js (minified). The first 12 hex digits of the
// SHA-256 of the minified chunk make its content-addressed name,
// liveview.uploads.<hash>.js (jsclient.UploadsHashedName computes the same),
// which esbuild's Define puts into the client as UPLOADS; the hooks chunk
// of src/hooks.js, dist/liveview.hooks.js and .min.js, the same way, as
// HOOKS (liveview.hooks.<hash>.js). Then it writes
// dist/liveview.js (readable) and dist/liveview.min.js (minified), both IIFE
// for ES2020 browsers that start the client when loaded (src/main.js), and
// dist/liveview.esm.js (minified), the ES module of src/esm.js, which
// exports start() for apps with their own bundler. Every path given to
// esbuild is relative to the jsclient directory and no source map is made,
// so the output is the same on every machine. It needs the packages pinned in jsclient/package.json
// (@hotwired/stimulus, idiomorph) in jsclient/node_modules
// (npm ci --prefix jsclient).
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// The npm packages bundled into the client.
const (
	stimulus  = "@hotwired/stimulus"
	idiomorph = "idiomorph"
)

func main() {
	dir := "."
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := run(dir); err != nil {
		fmt.Fprintln(os.Stderr, "jsclient build:", err)
		os.Exit(1)
	}
}

// run builds both bundles of the client found in dir.
func run(dir string) error {
	root, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	version, err := pinnedVersion(root, stimulus)
	if err != nil {
		return err
	}
	morphVersion, err := pinnedVersion(root, idiomorph)
	if err != nil {
		return err
	}
	// One line naming the project and the bundled packages, with Stimulus'
	// MIT notice ("/*!" keeps it through minification); idiomorph is 0BSD.
	banner := fmt.Sprintf("/*! echo-liveview client (github.com/echo-liveview/liveview) | Stimulus %s (c) 2023 Basecamp, LLC, MIT license | idiomorph %s, 0BSD */", version, morphVersion)
	// The chunk bundles no package.
	const chunkBanner = "/*! echo-liveview uploads (github.com/echo-liveview/liveview) */"
	const hooksBanner = "/*! echo-liveview hooks (github.com/echo-liveview/liveview) */"
	var uploads, hooks []byte // the minified chunks
	for _, out := range []struct {
		file, entry, banner string
		format              api.Format
		minify              bool
	}{
		// The chunk first: the client bundles need its hash.
		{"dist/liveview.uploads.js", "src/uploads.js", chunkBanner, api.FormatIIFE, false},
		{"dist/liveview.uploads.min.js", "src/uploads.js", chunkBanner, api.FormatIIFE, true},
		{"dist/liveview.hooks.js", "src/hooks.js", hooksBanner, api.FormatIIFE, false},
		{"dist/liveview.hooks.min.js", "src/hooks.js", hooksBanner, api.FormatIIFE, true},
		{"dist/liveview.js", "src/main.js", banner, api.FormatIIFE, false},
		{"dist/liveview.min.js", "src/main.js", banner, api.FormatIIFE, true},
		{"dist/liveview.esm.js", "src/esm.js", banner, api.FormatESModule, true},
	} {
		var define map[string]string
		if hooks != nil {
			define = map[string]string{
				"UPLOADS": strconv.Quote(chunkName("uploads", uploads)),
				"HOOKS":   strconv.Quote(chunkName("hooks", hooks)),
			}
		}
		code, err := bundle(root, out.entry, out.file, out.banner, out.format, out.minify, define)
		if err != nil {
			return err
		}
		if err := writeIfChanged(filepath.Join(root, out.file), code); err != nil {
			return err
		}
		switch out.file {
		case "dist/liveview.uploads.min.js":
			uploads = code
		case "dist/liveview.hooks.min.js":
			hooks = code
		}
		fmt.Printf("jsclient build: %s (%d bytes)\n", out.file, len(code))
	}
	return nil
}

// chunkName is the content-addressed file name of a minified chunk:
// "liveview.<kind>." + the first 12 hex digits of its SHA-256 + ".js", as
// jsclient.UploadsHashedName and HooksHashedName.
func chunkName(kind string, chunk []byte) string {
	sum := sha256.Sum256(chunk)
	return "liveview." + kind + "." + hex.EncodeToString(sum[:])[:12] + ".js"
}

// pinnedVersion checks that the installed npm package pkg is the version
// pinned in package.json and returns it.
func pinnedVersion(root, pkg string) (string, error) {
	var pinned struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := readJSON(filepath.Join(root, "package.json"), &pinned); err != nil {
		return "", err
	}
	want := pinned.Dependencies[pkg]
	if want == "" {
		return "", fmt.Errorf("package.json does not pin %s", pkg)
	}
	var installed struct {
		Version string `json:"version"`
	}
	err := readJSON(filepath.Join(root, "node_modules", pkg, "package.json"), &installed)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s is not installed in jsclient/node_modules: run `npm ci --prefix jsclient` from the repository root", pkg)
	}
	if err != nil {
		return "", err
	}
	if installed.Version != want {
		return "", fmt.Errorf("node_modules has %s %s but package.json pins %s: run `npm ci --prefix jsclient` from the repository root", pkg, installed.Version, want)
	}
	return installed.Version, nil
}

// bundle runs esbuild on entry and returns the single output file.
// define replaces identifiers by JSON values (nil: none).
func bundle(root, entry, outfile, banner string, format api.Format, minify bool, define map[string]string) ([]byte, error) {
	result := api.Build(api.BuildOptions{
		AbsWorkingDir:     root, // paths in the output are relative to it
		EntryPoints:       []string{entry},
		Outfile:           outfile,
		Bundle:            true,
		Write:             false,
		Format:            format,
		Platform:          api.PlatformBrowser,
		Target:            api.ES2020,
		Banner:            map[string]string{"js": banner},
		Define:            define,
		LegalComments:     api.LegalCommentsEndOfFile, // kept in the file, never a separate one
		Sourcemap:         api.SourceMapNone,
		Charset:           api.CharsetASCII,
		MinifyWhitespace:  minify,
		MinifyIdentifiers: minify,
		MinifySyntax:      minify,
		LogLevel:          api.LogLevelWarning,
	})
	if len(result.Errors) > 0 {
		msgs := api.FormatMessages(result.Errors, api.FormatMessagesOptions{Kind: api.ErrorMessage})
		return nil, fmt.Errorf("esbuild failed:\n%s", strings.Join(msgs, ""))
	}
	if len(result.OutputFiles) != 1 {
		return nil, fmt.Errorf("esbuild wrote %d files, want 1", len(result.OutputFiles))
	}
	return result.OutputFiles[0].Contents, nil
}

// writeIfChanged leaves an up-to-date file untouched (keeps its mtime).
func writeIfChanged(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
