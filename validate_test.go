package liveview

import (
	"errors"
	"html/template"
	"strings"
	"testing"

	"github.com/go-playground/validator/v10"
	"github.com/labstack/echo/v4"
)

type signup struct {
	Name     string      `form:"name" validate:"required,min=3,max=20"`
	Nick     string      `form:"nick" validate:"omitempty,min=1"`
	Email    string      `form:"email" validate:"required,email"`
	Age      int         `form:"age" validate:"gte=18,lte=130"`
	Size     string      `form:"size" validate:"oneof=S M L"`
	Site     string      `form:"site" validate:"omitempty,url"`
	Code     string      `form:"code" validate:"omitempty,len=4,numeric"`
	Tags     []string    `form:"tags" validate:"min=1,max=2"`
	Password string      `form:"password" validate:"required"`
	Confirm  string      `form:"confirm" validate:"eqfield=Password"`
	Address  bindAddress `form:"address" validate:"required"`
	ID       int         `data:"item_id" validate:"gt=0"`
}

// valid is a signup that passes; each test case breaks one field.
func validSignup() signup {
	return signup{Name: "Ada", Email: "ada@example.com", Age: 36, Size: "M", Tags: []string{"x"},
		Password: "p", Confirm: "p", Address: bindAddress{City: "London"}, ID: 1}
}

func TestFieldErrors(t *testing.T) {
	tests := []struct {
		name   string
		breakF func(*signup)
		field  string
		en, es string
	}{
		{"required", func(s *signup) { s.Name = "" }, "name", "This field is required.", "Este campo es obligatorio."},
		{"min string plural", func(s *signup) { s.Name = "Al" }, "name", "Use at least 3 characters.", "Usa al menos 3 caracteres."},
		{"min string singular", func(s *signup) { s.Nick = "" }, "", "", ""},
		{"max string", func(s *signup) { s.Name = strings.Repeat("a", 21) }, "name", "Use at most 20 characters.", "Usa como máximo 20 caracteres."},
		{"email", func(s *signup) { s.Email = "nope" }, "email", "Enter a valid email address.", "Introduce una dirección de correo electrónico válida."},
		{"gte number", func(s *signup) { s.Age = 17 }, "age", "Must be at least 18.", "Debe ser como mínimo 18."},
		{"lte number", func(s *signup) { s.Age = 131 }, "age", "Must be at most 130.", "Debe ser como máximo 130."},
		{"oneof", func(s *signup) { s.Size = "XL" }, "size", "Choose one of: S M L.", "Elige uno de: S M L."},
		{"url", func(s *signup) { s.Site = "not a url" }, "site", "Enter a valid URL.", "Introduce una URL válida."},
		{"len string", func(s *signup) { s.Code = "12345" }, "code", "Use exactly 4 characters.", "Usa exactamente 4 caracteres."},
		{"numeric", func(s *signup) { s.Code = "12a4" }, "code", "Enter a number.", "Introduce un número."},
		{"min items singular", func(s *signup) { s.Tags = nil }, "tags", "Choose at least 1 item.", "Elige al menos 1 elemento."},
		{"max items", func(s *signup) { s.Tags = []string{"a", "b", "c"} }, "tags", "Choose at most 2 items.", "Elige como máximo 2 elementos."},
		{"eqfield", func(s *signup) { s.Confirm = "q" }, "confirm", "Must match Password.", "Debe coincidir con Password."},
		{"required nested struct", func(s *signup) { s.Address = bindAddress{} }, "address", "This field is required.", "Este campo es obligatorio."},
		{"nested field by form name", func(s *signup) { s.Address = bindAddress{Zip: "1"} }, "address.city", "This field is required.", "Este campo es obligatorio."},
		{"data field by data name", func(s *signup) { s.ID = 0 }, "item_id", "Must be greater than 0.", "Debe ser mayor que 0."},
	}
	h := New(Config{Logger: discardLogger()})
	defer h.Close()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, lang := range []string{"en", "es"} {
				c := eventContext(t, h, &Event{Function: "f", Lang: lang}, "")
				s := validSignup()
				tt.breakF(&s)
				err := c.Validate(&s)
				var ve validator.ValidationErrors
				if tt.field == "" {
					if err != nil {
						t.Fatalf("Validate: %v", err)
					}
					continue
				}
				if !errors.As(err, &ve) || !strings.HasPrefix(err.Error(), "liveview: ") {
					t.Fatalf("Validate = %v, want liveview: wrapping ValidationErrors", err)
				}
				fe := FieldErrors(c, err)
				want := map[string]string{"en": tt.en, "es": tt.es}[lang]
				if len(fe) != 1 || fe[tt.field] != want {
					t.Errorf("%s: FieldErrors = %v, want %s: %q", lang, fe, tt.field, want)
				}
			}
		})
	}
}

func TestFieldErrorsOverridesAndFallbacks(t *testing.T) {
	v := NewValidator()
	if err := v.RegisterValidation("is_even", func(fl validator.FieldLevel) bool { return fl.Field().Int()%2 == 0 }); err != nil {
		t.Fatal(err)
	}
	var logs logRecorder
	h := New(Config{Logger: logs.logger(), I18n: testBundle(), Validator: v})
	defer h.Close()
	if h.Validator() != v {
		t.Fatal("Hub.Validator is not Config.Validator")
	}
	type f struct {
		Name string `form:"name" validate:"required"`
		N    int    `form:"n" validate:"is_even"`
	}
	tests := []struct {
		lang       string
		name, n    string
		wantLogged bool
	}{
		{"es", "¡Obligatorio!", "Debe ser par.", false},                      // the app's bundle overrides by ID, adds a custom tag
		{"en", "This field is required.", "This value is not valid.", false}, // built-in; custom tag without message: invalid
		{"fr", "This field is required.", "This value is not valid.", true},  // no French built-in: English, logged once
	}
	for _, tt := range tests {
		c := eventContext(t, h, &Event{Function: "f", Lang: tt.lang}, "")
		fe := FieldErrors(c, c.Validate(&f{N: 3}))
		if fe["name"] != tt.name || fe["n"] != tt.n {
			t.Errorf("%s: %v, want name %q, n %q", tt.lang, fe, tt.name, tt.n)
		}
		if got := strings.Contains(logs.String(), "locale=fr"); got != tt.wantLogged {
			t.Errorf("%s: logged French fallback = %v:\n%s", tt.lang, got, logs.String())
		}
	}
}

func TestFieldErrorsPassThrough(t *testing.T) {
	c := eventContext(t, nil, nil, "")
	other := errors.New("database down")
	for _, err := range []error{nil, other} {
		if fe := FieldErrors(c, err); fe != nil {
			t.Errorf("FieldErrors(%v) = %v, want nil", err, fe)
		}
	}
	err := c.Validate(42) // not a struct
	var inv *validator.InvalidValidationError
	if !errors.As(err, &inv) || FieldErrors(c, err) != nil {
		t.Errorf("Validate(42) = %v, want an InvalidValidationError and no field errors", err)
	}
	if got := c.RenderForm("#f", "form", nil, other); got != other {
		t.Errorf("RenderForm returned %v, want the error itself", got)
	}
	// Bind and Validate errors joined: the conversion error wins for its field.
	ev := &Event{Function: "f", Form: map[string]any{"age": "old", "name": ""}}
	c = eventContext(t, nil, ev, "")
	var s signup
	fe := FieldErrors(nil, errors.Join(c.Bind(&s), c.Validate(&s)))
	if fe["age"] != "Enter a whole number." || fe["name"] != "This field is required." {
		t.Errorf("joined errors with a nil Context: %v", fe)
	}
}

// TestRenderForm: the form comes back with its errors next to the fields
// and the typed values, then the success template.
func TestRenderForm(t *testing.T) {
	ts := newTestServer(t, Config{}, func(h *Hub, e *echo.Echo) {
		e.Renderer = tmpl{template.Must(template.New("").Parse(
			`{{define "form"}}<input name="name" value="{{.Value "name"}}">{{with .Error "name"}}<b>{{.}}</b>{{end}}` +
				`<input name="age" value="{{.Value "age"}}">{{with .Error "age"}}<b>{{.}}</b>{{end}}{{if .Valid}}ok{{end}}{{end}}`))}
		h.Handle("submit", func(c *Context) error {
			var f struct {
				Name string `form:"name" validate:"required,min=3"`
				Age  int    `form:"age" validate:"gte=18"`
			}
			return c.RenderForm("#form", "form", &f, errors.Join(c.Bind(&f), c.Validate(&f)))
		})
	})
	c := ts.dial(t, "r")
	c.send("submit", nil, map[string]any{"name": "Al <b>", "age": "x1"})
	equalJSON(t, c.read(), `{"target":"#form","html":"<input name=\"name\" value=\"Al &lt;b&gt;\"><input name=\"age\" value=\"x1\"><b>Enter a whole number.</b>"}`)
	c.send("submit", nil, map[string]any{"name": "Al", "age": "20"})
	equalJSON(t, c.read(), `{"target":"#form","html":"<input name=\"name\" value=\"Al\"><b>Use at least 3 characters.</b><input name=\"age\" value=\"20\">"}`)
	c.send("submit", nil, map[string]any{"name": "Ada", "age": "20"})
	equalJSON(t, c.read(), `{"target":"#form","html":"<input name=\"name\" value=\"Ada\"><input name=\"age\" value=\"20\">ok"}`)
}
