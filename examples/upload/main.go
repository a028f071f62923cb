// Command upload shows file uploads over the live connection: an avatar
// (an image, checked by the server, shown once saved) and attachments
// (several files at once, a progress bar for each). The forms are plain
// HTML forms with <input type="file">; the handlers read the files with
// c.FormFile and c.FormFiles, as an Echo handler reads a multipart POST.
// The files travel over the page's WebSocket in chunks, so they reach the
// instance that runs the handler, whatever the load balancer does.
//
//	go run ./examples/upload                 # http://localhost:8080
//	go run ./examples/upload -addr 127.0.0.1:9000 -dir ./saved -max-attachment-mb 500
//
// Several instances behind a load balancer share Redis pub/sub and the
// directory of saved files (an object store in a real app):
//
//	go run ./examples/upload -addr :8081 -redis 127.0.0.1:6379 -dir /srv/files
//	go run ./examples/upload -addr :8082 -redis 127.0.0.1:6379 -dir /srv/files
package main

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"
	goredis "github.com/redis/go-redis/v9"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/pubsub"
	"github.com/echo-liveview/liveview/pubsub/redis"
)

//go:embed templates
var templateFS embed.FS

// staticFS holds the examples' stylesheet and favicon. Every example has
// its own copy of static/, so that it runs alone when copied.
//
//go:embed static
var staticFS embed.FS

type renderer struct{ t *template.Template }

func (r renderer) Render(w io.Writer, name string, data any, _ echo.Context) error {
	return r.t.ExecuteTemplate(w, name, data)
}

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	dir := flag.String("dir", "", "where saved files go, shared by the instances (default: a new temporary directory)")
	redisAddr := flag.String("redis", "", "Redis address (host:port) shared by the instances; empty: in memory, one instance")
	maxMB := flag.Int64("max-attachment-mb", maxAttachment>>20, "the largest attachment, in MB")
	flag.Parse()
	maxAttachment = *maxMB << 20
	if *dir == "" {
		d, err := os.MkdirTemp("", "liveview-upload-example-")
		if err != nil {
			log.Fatal(err)
		}
		*dir = d
	}
	var broker pubsub.Broker // nil: the Hub's own in-memory broker
	if *redisAddr != "" {
		rdb := goredis.NewClient(&goredis.Options{Addr: *redisAddr})
		defer rdb.Close()
		broker = redis.New(rdb, redis.WithPrefix("upload:"))
		defer broker.Close() // the Hub does not close a Broker it was given
	}

	e := newApp(newStore(*dir), broker)
	srv := newServer(*addr, e)
	go func() {
		if err := e.StartServer(srv); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err)
		}
	}()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = e.Shutdown(shutdown)
	_ = liveview.Default().Shutdown(shutdown)
}

// newServer returns e's HTTP server (e.Server, so e.Shutdown stops it) set
// to listen on addr with the timeouts a server open to the internet needs
// (see the README's "Production server"); they never cut an open
// WebSocket, so a long upload is not cut either.
func newServer(addr string, e *echo.Echo) *http.Server {
	s := e.Server
	s.Addr = addr
	s.ReadHeaderTimeout = 5 * time.Second
	s.IdleTimeout = 2 * time.Minute
	return s
}

// Upload limits. The server enforces them (the accept attribute only
// helps the browser's file picker): a file over a limit is refused when it
// is announced, before its bytes are sent, with a message shown next to
// its input.
const (
	maxAvatar = 2 << 20 // 2 MB
	maxFiles  = 5
)

// maxAttachment is the limit of each attachment (-max-attachment-mb).
var maxAttachment int64 = 20 << 20

func uploadConfig() liveview.UploadConfig {
	return liveview.UploadConfig{
		MaxFileSize: maxAttachment,
		MaxFiles:    maxFiles,
		Functions: map[string]liveview.UploadLimits{
			"save_avatar": {MaxFileSize: maxAvatar, MaxFiles: 1, Accept: []string{"image/png", "image/jpeg", "image/gif", "image/webp"}},
		},
	}
}

// files is the app's store of saved files (newApp sets it).
var files *store

func newApp(st *store, broker pubsub.Broker) *echo.Echo {
	files = st
	e := echo.New()
	e.HideBanner = true
	e.Renderer = renderer{template.Must(template.New("").Funcs(liveview.TemplateFuncs()).Funcs(template.FuncMap{"size": humanSize}).ParseFS(templateFS, "templates/*.html"))}
	e.Use(liveview.PluginWithConfig(liveview.Config{Upload: uploadConfig(), Broker: broker}))
	serveStatic(e)
	e.GET("/", func(c echo.Context) error {
		return c.Render(http.StatusOK, "index.html", files.view())
	})
	// Saved files, by the random name the store gave them: nothing else in
	// the directory is reachable.
	e.GET("/files/:name", func(c echo.Context) error {
		f, ok := files.lookup(c.Param("name"))
		if !ok {
			return echo.ErrNotFound
		}
		c.Response().Header().Set("Content-Disposition", fmt.Sprintf("inline; filename=%q", f.Name))
		c.Response().Header().Set("X-Content-Type-Options", "nosniff")
		return c.File(f.path)
	})
	return e
}

func init() {
	liveview.Handle("save_avatar", func(c *liveview.Context) error {
		f, err := c.FormFile("avatar")
		if errors.Is(err, liveview.ErrNoFile) {
			return c.Flash("warning", "Choose an image first.")
		}
		if err != nil {
			return err
		}
		saved, err := files.keep(f)
		if err != nil {
			return err
		}
		files.setAvatar(saved)
		return errors.Join(
			c.Render("#avatar", "avatar.html", files.view()),
			c.Flash("success", "Avatar saved."),
		)
	})
	liveview.Handle("save_attachments", func(c *liveview.Context) error {
		list := c.FormFiles("attachments")
		if len(list) == 0 {
			return c.Flash("warning", "Choose one or more files first.")
		}
		for _, f := range list {
			saved, err := files.keep(f)
			if err != nil {
				return err
			}
			files.addAttachment(saved)
		}
		return errors.Join(
			c.Render("#attachments", "attachments.html", files.view()),
			c.Flash("success", fmt.Sprintf("%d file(s) attached.", len(list))),
		)
	})
	liveview.Handle("remove_attachment", func(c *liveview.Context) error {
		files.removeAttachment(c.Data("key"))
		return c.Render("#attachments", "attachments.html", files.view())
	})
}

// serveStatic serves the stylesheet and the favicon.
func serveStatic(e *echo.Echo) {
	e.FileFS("/static/style.css", "static/style.css", staticFS)
	e.FileFS("/favicon.svg", "static/favicon.svg", staticFS)
	e.FileFS("/favicon.ico", "static/favicon.svg", staticFS)
}

// savedFile is a file the app kept: moved out of the upload's temporary
// directory into the store's, under a random name.
type savedFile struct {
	Key, Name, Type string
	Size            int64
	path            string
}

// URL is where the page shows or links the file.
func (f savedFile) URL() string { return "/files/" + f.Key }

// IsImage reports whether the page can show the file as an image.
func (f savedFile) IsImage() bool { return strings.HasPrefix(f.Type, "image/") }

// store keeps the saved files of this demo in memory, for every visitor
// (a real app would keep them per user, in a database and an object store).
type store struct {
	dir string

	mu          sync.Mutex
	files       map[string]savedFile
	avatar      *savedFile
	attachments []savedFile
}

func newStore(dir string) *store { return &store{dir: dir, files: map[string]savedFile{}} }

// keep moves an uploaded file into the store: MoveTo takes it out of the
// upload's temporary files, which are deleted when the handler returns.
func (s *store) keep(f *liveview.File) (savedFile, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return savedFile{}, err
	}
	key := hex.EncodeToString(b[:]) + strings.ToLower(filepath.Ext(f.Name))
	path := filepath.Join(s.dir, key)
	if err := f.MoveTo(path); err != nil {
		return savedFile{}, fmt.Errorf("upload example: keeping %s: %w", f.Name, err)
	}
	saved := savedFile{Key: key, Name: f.Name, Type: f.ContentType, Size: f.Size, path: path}
	s.mu.Lock()
	s.files[key] = saved
	s.mu.Unlock()
	return saved, nil
}

// keyPattern is the shape of the names keep gives files.
var keyPattern = regexp.MustCompile(`^[0-9a-f]{24}(\.[a-z0-9]{1,8})?$`)

// lookup finds a saved file by its key: one this instance saved, else one
// another instance saved into the shared directory.
func (s *store) lookup(key string) (savedFile, bool) {
	if !keyPattern.MatchString(key) {
		return savedFile{}, false
	}
	s.mu.Lock()
	f, ok := s.files[key]
	s.mu.Unlock()
	if ok {
		return f, true
	}
	path := filepath.Join(s.dir, key)
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		return savedFile{Key: key, Name: key, Size: fi.Size(), path: path}, true
	}
	return savedFile{}, false
}

func (s *store) setAvatar(f savedFile) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.avatar = &f
}

func (s *store) addAttachment(f savedFile) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attachments = append(s.attachments, f)
}

func (s *store) removeAttachment(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.attachments {
		if f.Key == key {
			s.attachments = append(s.attachments[:i], s.attachments[i+1:]...)
			delete(s.files, key)
			_ = os.Remove(f.path)
			return
		}
	}
}

// pageView is what the templates show.
type pageView struct {
	Avatar                   *savedFile
	Attachments              []savedFile
	MaxAvatar, MaxAttachment int64
	MaxFiles                 int
}

func (s *store) view() pageView {
	s.mu.Lock()
	defer s.mu.Unlock()
	return pageView{Avatar: s.avatar, Attachments: append([]savedFile(nil), s.attachments...),
		MaxAvatar: maxAvatar, MaxAttachment: maxAttachment, MaxFiles: maxFiles}
}

// humanSize writes a byte count the way people read it.
func humanSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
