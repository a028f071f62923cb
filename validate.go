package liveview

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/go-playground/validator/v10"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// NewValidator returns a validator configured as the default one: required
// validation of nested struct fields enabled (validator.
// WithRequiredStructEnabled) and field names taken from `form` tags, then
// `data` tags (FormFieldName), so FieldErrors keys are form field names.
// Use it as the base of a Config.Validator with custom validations.
func NewValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(FormFieldName)
	return v
}

// DefaultValidator returns the validator shared by every Hub whose
// Config.Validator is nil, created by NewValidator on first use. Register
// custom validations on it (RegisterValidation) before the Hubs serve:
// validator's registration is not safe concurrently with validation.
func DefaultValidator() *validator.Validate { return defaultValidator() }

var defaultValidator = sync.OnceValue(NewValidator)

// FormFieldName is a validator.TagNameFunc naming a field after its `form`
// tag, else its `data` tag, else its Go name: register it on a custom
// validator (v.RegisterTagNameFunc(liveview.FormFieldName)) to keep form
// field names in FieldErrors.
func FormFieldName(f reflect.StructField) string {
	for _, tag := range [...]string{"form", "data"} {
		name, _, _ := strings.Cut(f.Tag.Get(tag), ",")
		if name == "-" {
			return ""
		}
		if name != "" {
			return name
		}
	}
	return ""
}

// Validator returns the Hub's validator (Config.Validator or
// DefaultValidator()), for registering custom validations at start.
func (h *Hub) Validator() *validator.Validate { return h.cfg.Validator }

// Validate checks dst (a struct or a pointer to one) against its `validate`
// tags with the Hub's validator, passing the connection's context to
// context-aware validations. Failed rules are returned as an error wrapping
// validator.ValidationErrors (errors.As works); FieldErrors turns them into
// messages. Anything else (dst not a struct) is returned wrapped as it is.
func (c *Context) Validate(dst any) error {
	if err := c.conn.hub.cfg.Validator.StructCtx(c.Context(), dst); err != nil {
		return fmt.Errorf("liveview: validate: %w", err)
	}
	return nil
}

// FieldErrors returns one message per invalid field of err, keyed by form
// field name ("email", "address.zip", "items[1].qty"), in the locale of c's
// message: conversion failures of Bind (*BindError) first, then failed
// validation rules (validator.ValidationErrors), the first failure of a
// field winning. err may wrap or join them (errors.Join(c.Bind(&f),
// c.Validate(&f)) reports everything at once).
//
// Messages come from Config.I18n when it has their ID in the locale, else
// from the built-in English and Spanish catalog (IDs listed in catalog.go's
// documentation), else from the catalog's English. With a nil c they are in
// English. It returns nil when err holds no field errors (nil, or another
// kind of error, which the caller should handle as such: RenderForm returns
// it unchanged).
func FieldErrors(c *Context, err error) map[string]string {
	if err == nil {
		return nil
	}
	var out map[string]string
	set := func(name, msg string) {
		if out == nil {
			out = make(map[string]string)
		}
		if _, dup := out[name]; !dup {
			out[name] = msg
		}
	}
	var be *BindError
	if errors.As(err, &be) {
		for _, ce := range be.Errors {
			data := map[string]any{"Field": ce.Field, "Value": ce.Value, "Tag": "bind", "Param": ""}
			set(ce.Field, c.fieldMessage(bindMessageIDs(ce), data, nil))
		}
	}
	var ve validator.ValidationErrors
	if errors.As(err, &ve) {
		for _, fe := range ve {
			name := validationField(fe)
			data := map[string]any{"Field": name, "Value": fe.Value(), "Tag": fe.Tag(), "Param": fe.Param()}
			var count any
			if _, perr := strconv.ParseFloat(fe.Param(), 64); perr == nil {
				count = fe.Param()
			}
			set(name, c.fieldMessage(validationMessageIDs(fe), data, count))
		}
	}
	return out
}

// validationField is the form name of a failed field: its namespace
// without the top struct's name ("Contact.address.zip" -> "address.zip").
func validationField(fe validator.FieldError) string {
	ns := fe.Namespace()
	if _, rest, ok := strings.Cut(ns, "."); ok {
		return rest
	}
	return fe.Field()
}

// validationMessageIDs lists the IDs tried for a failed rule, most
// specific first.
func validationMessageIDs(fe validator.FieldError) []string {
	tag := fe.Tag()
	if a, ok := tagAliases[tag]; ok {
		tag = a
	}
	const p = "liveview.validation."
	ids := make([]string, 0, 3)
	if sizedTags[tag] {
		switch fe.Kind() {
		case reflect.String:
			ids = append(ids, p+tag+".string")
		case reflect.Slice, reflect.Array, reflect.Map:
			ids = append(ids, p+tag+".items")
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
			reflect.Float32, reflect.Float64:
			ids = append(ids, p+tag+".number")
		}
	}
	if fe.Tag() != tag {
		ids = append(ids, p+fe.Tag())
	}
	return append(ids, p+tag, p+"invalid")
}

// bindMessageIDs lists the IDs tried for a conversion failure.
func bindMessageIDs(ce *ConversionError) []string {
	const p = "liveview.bind."
	if errors.Is(ce.Err, strconv.ErrRange) {
		return []string{p + "range", p + "invalid"}
	}
	if ce.Type != nil {
		switch ce.Type.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			return []string{p + "int", p + "invalid"}
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			return []string{p + "uint", p + "invalid"}
		case reflect.Float32, reflect.Float64:
			return []string{p + "float", p + "invalid"}
		case reflect.Bool:
			return []string{p + "bool", p + "invalid"}
		case reflect.Struct:
			if ce.Type == timeType {
				return []string{p + "time", p + "invalid"}
			}
		}
	}
	return []string{p + "invalid"}
}

// fieldMessage returns the first of ids found in the app's bundle (in the
// message's locale exactly) or the built-in catalog (in the locale, else in
// English, logged once).
func (c *Context) fieldMessage(ids []string, data map[string]any, count any) string {
	tag := language.English
	var app *i18n.Localizer
	if c != nil && c.conn != nil {
		st := c.locale()
		tag = st.tag
		if c.conn.hub.cfg.I18n != nil {
			app = st.localizer
		}
	}
	builtin := builtinLocalizer(tag)
	// The built-in catalog has no such language: its English is used.
	foreign := !builtinHas(tag)
	var fallback, fallbackID string
	for _, id := range ids {
		lc := &i18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count}
		if app != nil {
			if s, err := app.Localize(lc); err == nil {
				return s
			}
		}
		s, err := builtin.Localize(lc)
		if err == nil && !foreign {
			return s
		}
		if fallback == "" && s != "" {
			fallback, fallbackID = s, id
		}
	}
	if c != nil && c.conn != nil && fallbackID != "" {
		c.conn.hub.logMissing(tag, fallbackID, nil)
	}
	return fallback
}

// FormView is what RenderForm hands to a form's template: the bound struct,
// the submitted values and the error of each field, so the template can
// show every error next to its field and keep what the user typed, even
// values that did not convert:
//
//	<input name="email" value="{{.Value "email"}}">
//	{{with .Error "email"}}<span class="error">{{.}}</span>{{end}}
//
// The zero value is an empty form without errors (a page's first render).
//
// Multi-value fields (a <select multiple>, a group of checkboxes of one
// name) keep every submitted value in Lists; Selected reads them:
//
//	<option value="red"{{if .Selected "colors" "red"}} selected{{end}}>Red</option>
//	<input type="checkbox" name="days" value="1"{{if .Selected "days" "1"}} checked{{end}}>
type FormView struct {
	Data   any                 // the struct given to RenderForm (may be nil)
	Values map[string]string   // submitted form values as strings, by field name (a list's first value)
	Lists  map[string][]string // every value of the submitted lists (multi-value fields), by field name
	Errors map[string]string   // FieldErrors, by field name; nil when valid
}

// Value returns the submitted value of the form field name, "" if none.
func (f *FormView) Value(name string) string { return f.Values[name] }

// Selected reports whether value was submitted for the form field name:
// one of its values for a multi-value field, else its value.
func (f *FormView) Selected(name, value string) bool {
	if list, ok := f.Lists[name]; ok {
		return slices.Contains(list, value)
	}
	v, ok := f.Values[name]
	return ok && v == value
}

// Error returns the message of the form field name, "" if it is valid.
func (f *FormView) Error(name string) string { return f.Errors[name] }

// Valid reports whether no field has an error.
func (f *FormView) Valid() bool { return len(f.Errors) == 0 }

// NewFormView builds the FormView of c's event for dst and err (the result
// of Bind and/or Validate): Values from c.Form(), Errors from FieldErrors.
func NewFormView(c *Context, dst any, err error) *FormView {
	f := &FormView{Data: dst, Errors: FieldErrors(c, err)}
	if c != nil {
		f.Values = make(map[string]string, len(c.Form()))
		for k, v := range c.Form() {
			f.Values[k] = stringValue(v)
			if list, ok := v.([]any); ok {
				if f.Lists == nil {
					f.Lists = make(map[string][]string)
				}
				vs := make([]string, len(list))
				for i, x := range list {
					vs[i] = stringValue(x)
				}
				f.Lists[k] = vs
			}
		}
	}
	return f
}

// RenderForm renders the form template name into target with a *FormView
// of dst and err, the result of Bind and/or Validate, so the form comes
// back with its errors next to its fields and the typed values kept:
//
//	var f Contact
//	if err := errors.Join(c.Bind(&f), c.Validate(&f)); err != nil {
//		return c.RenderForm("#contact", "contact_form.html", &f, err)
//	}
//
// An err that holds no field errors (a programming error, a failed
// database call) is returned unchanged and nothing is rendered; a nil err
// renders the form without errors.
func (c *Context) RenderForm(target, name string, dst any, err error) error {
	v := NewFormView(c, dst, err)
	if err != nil && v.Errors == nil {
		return err
	}
	return c.Render(target, name, v)
}

// builtinHas reports whether the built-in catalog has tag's language.
func builtinHas(tag language.Tag) bool {
	if tag == language.Und {
		return true
	}
	_, _, conf := builtinMatcher().Match(tag)
	return conf != language.No
}

var builtinMatcher = sync.OnceValue(func() language.Matcher { return language.NewMatcher(builtinBundle().LanguageTags()) })

// builtinLocalizers caches a localizer of the built-in catalog per locale
// (locales are languages of a bundle, so the cache is small).
var builtinLocalizers sync.Map // language.Tag -> *i18n.Localizer

func builtinLocalizer(tag language.Tag) *i18n.Localizer {
	if l, ok := builtinLocalizers.Load(tag); ok {
		return l.(*i18n.Localizer)
	}
	l := i18n.NewLocalizer(builtinBundle(), tag.String())
	builtinLocalizers.Store(tag, l)
	return l
}
