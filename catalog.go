package liveview

import (
	"sync"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Built-in messages for FieldErrors and upload refusals, in English and
// Spanish.
//
// They live in a bundle of their own, never added to Config.I18n (which
// would change the languages go-i18n picks for the app). A message with the
// same ID in Config.I18n, in the message's locale, replaces the built-in
// one, so an app can reword them or add languages. Messages are go-i18n
// templates with this data:
//
//	.Field  the form field name ("email", "address.zip")
//	.Param  the validation tag's parameter ("3" in min=3), "" for none
//	.Value  the value as submitted (bind errors) or as bound (validation)
//	.Tag    the validation tag ("min"), or "bind" for conversion errors
//
// and, when .Param is a number, PluralCount = .Param (one/other forms).
//
// Validation failures look up, in order, "liveview.validation.<tag>.<kind>"
// (for min, max, len, gt, gte, lt, lte; kind is "string", "number" or
// "items" after the field's type), "liveview.validation.<tag>" (so custom
// validations get a message by adding this ID to Config.I18n), then
// "liveview.validation.invalid". The required_* family shares
// "liveview.validation.required". Built-in IDs:
//
//	liveview.validation.required        This field is required.
//	liveview.validation.email           Enter a valid email address.
//	liveview.validation.url             Enter a valid URL. (also uri, http_url)
//	liveview.validation.min.string      Use at least {{.Param}} characters.
//	liveview.validation.min.number      Must be at least {{.Param}}.
//	liveview.validation.min.items       Choose at least {{.Param}} items.
//	liveview.validation.max.string      Use at most {{.Param}} characters.
//	liveview.validation.max.number      Must be at most {{.Param}}.
//	liveview.validation.max.items       Choose at most {{.Param}} items.
//	liveview.validation.len.string      Use exactly {{.Param}} characters.
//	liveview.validation.len.number      Must be {{.Param}}.
//	liveview.validation.len.items       Choose exactly {{.Param}} items.
//	liveview.validation.gt.*, lt.*      more than / fewer than (same kinds)
//	liveview.validation.gte.*, lte.*    as min.* and max.*
//	liveview.validation.eq              Must be {{.Param}}.
//	liveview.validation.ne              Must not be {{.Param}}.
//	liveview.validation.oneof           Choose one of: {{.Param}}.
//	liveview.validation.numeric         Enter a number. (also number)
//	liveview.validation.alpha           Use letters only.
//	liveview.validation.alphanum        Use letters and digits only.
//	liveview.validation.eqfield         Must match {{.Param}}.
//	liveview.validation.nefield         Must differ from {{.Param}}.
//	liveview.validation.contains        Must contain "{{.Param}}".
//	liveview.validation.excludes        Must not contain "{{.Param}}".
//	liveview.validation.startswith      Must start with "{{.Param}}".
//	liveview.validation.endswith        Must end with "{{.Param}}".
//	liveview.validation.uuid            Enter a valid UUID.
//	liveview.validation.ip              Enter a valid IP address.
//	liveview.validation.e164            Enter a phone number like +14155552671.
//	liveview.validation.datetime        Enter a date as {{.Param}}.
//	liveview.validation.boolean         Must be true or false.
//	liveview.validation.invalid         This value is not valid.
//
// Values Bind cannot convert use:
//
//	liveview.bind.int       Enter a whole number.
//	liveview.bind.uint      Enter a whole number, 0 or more.
//	liveview.bind.float     Enter a number.
//	liveview.bind.bool      Must be true or false.
//	liveview.bind.time      Enter a valid date.
//	liveview.bind.range     This number is out of range.
//	liveview.bind.invalid   This value is not valid.
//
// Upload refusals (Config.Upload), with .Name (the file's name), .Field
// (its input's name) and .Limit (a size as "10 MB", or a number of files,
// which is then also PluralCount):
//
//	liveview.upload.too_large    {{.Name}} is larger than {{.Limit}}.
//	liveview.upload.too_many     Choose at most {{.Limit}} files.
//	liveview.upload.type         {{.Name}} is not an accepted type of file.
//	liveview.upload.busy         Too many uploads at once: wait for the others to finish.
//	liveview.upload.disabled     Files cannot be uploaded here.
//	liveview.upload.failed       The upload of {{.Name}} failed. Try again.
//	liveview.upload.invalid      The upload failed. Try again.
//	liveview.upload.rate_limited Too many requests: try again in a moment.
//	liveview.upload.incomplete   The files have not finished uploading. Try again.

// catalogEntry is one built-in message: English and Spanish, with plural
// forms where the text counts something.
type catalogEntry struct {
	id                         string
	enOne, enOther, esOne, esX string
}

var catalog = []catalogEntry{
	{"liveview.validation.required", "", "This field is required.", "", "Este campo es obligatorio."},
	{"liveview.validation.email", "", "Enter a valid email address.", "", "Introduce una dirección de correo electrónico válida."},
	{"liveview.validation.url", "", "Enter a valid URL.", "", "Introduce una URL válida."},

	{"liveview.validation.min.string", "Use at least {{.Param}} character.", "Use at least {{.Param}} characters.", "Usa al menos {{.Param}} carácter.", "Usa al menos {{.Param}} caracteres."},
	{"liveview.validation.min.number", "", "Must be at least {{.Param}}.", "", "Debe ser como mínimo {{.Param}}."},
	{"liveview.validation.min.items", "Choose at least {{.Param}} item.", "Choose at least {{.Param}} items.", "Elige al menos {{.Param}} elemento.", "Elige al menos {{.Param}} elementos."},
	{"liveview.validation.max.string", "Use at most {{.Param}} character.", "Use at most {{.Param}} characters.", "Usa como máximo {{.Param}} carácter.", "Usa como máximo {{.Param}} caracteres."},
	{"liveview.validation.max.number", "", "Must be at most {{.Param}}.", "", "Debe ser como máximo {{.Param}}."},
	{"liveview.validation.max.items", "Choose at most {{.Param}} item.", "Choose at most {{.Param}} items.", "Elige como máximo {{.Param}} elemento.", "Elige como máximo {{.Param}} elementos."},
	{"liveview.validation.len.string", "Use exactly {{.Param}} character.", "Use exactly {{.Param}} characters.", "Usa exactamente {{.Param}} carácter.", "Usa exactamente {{.Param}} caracteres."},
	{"liveview.validation.len.number", "", "Must be {{.Param}}.", "", "Debe ser {{.Param}}."},
	{"liveview.validation.len.items", "Choose exactly {{.Param}} item.", "Choose exactly {{.Param}} items.", "Elige exactamente {{.Param}} elemento.", "Elige exactamente {{.Param}} elementos."},
	{"liveview.validation.gt.string", "Use more than {{.Param}} character.", "Use more than {{.Param}} characters.", "Usa más de {{.Param}} carácter.", "Usa más de {{.Param}} caracteres."},
	{"liveview.validation.gt.number", "", "Must be greater than {{.Param}}.", "", "Debe ser mayor que {{.Param}}."},
	{"liveview.validation.gt.items", "Choose more than {{.Param}} item.", "Choose more than {{.Param}} items.", "Elige más de {{.Param}} elemento.", "Elige más de {{.Param}} elementos."},
	{"liveview.validation.lt.string", "Use fewer than {{.Param}} character.", "Use fewer than {{.Param}} characters.", "Usa menos de {{.Param}} carácter.", "Usa menos de {{.Param}} caracteres."},
	{"liveview.validation.lt.number", "", "Must be less than {{.Param}}.", "", "Debe ser menor que {{.Param}}."},
	{"liveview.validation.lt.items", "Choose fewer than {{.Param}} item.", "Choose fewer than {{.Param}} items.", "Elige menos de {{.Param}} elemento.", "Elige menos de {{.Param}} elementos."},

	{"liveview.validation.eq", "", "Must be {{.Param}}.", "", "Debe ser {{.Param}}."},
	{"liveview.validation.ne", "", "Must not be {{.Param}}.", "", "No puede ser {{.Param}}."},
	{"liveview.validation.oneof", "", "Choose one of: {{.Param}}.", "", "Elige uno de: {{.Param}}."},
	{"liveview.validation.numeric", "", "Enter a number.", "", "Introduce un número."},
	{"liveview.validation.alpha", "", "Use letters only.", "", "Usa solo letras."},
	{"liveview.validation.alphanum", "", "Use letters and digits only.", "", "Usa solo letras y números."},
	{"liveview.validation.eqfield", "", "Must match {{.Param}}.", "", "Debe coincidir con {{.Param}}."},
	{"liveview.validation.nefield", "", "Must differ from {{.Param}}.", "", "Debe ser distinto de {{.Param}}."},
	{"liveview.validation.contains", "", `Must contain "{{.Param}}".`, "", `Debe contener "{{.Param}}".`},
	{"liveview.validation.excludes", "", `Must not contain "{{.Param}}".`, "", `No puede contener "{{.Param}}".`},
	{"liveview.validation.startswith", "", `Must start with "{{.Param}}".`, "", `Debe empezar por "{{.Param}}".`},
	{"liveview.validation.endswith", "", `Must end with "{{.Param}}".`, "", `Debe terminar en "{{.Param}}".`},
	{"liveview.validation.uuid", "", "Enter a valid UUID.", "", "Introduce un UUID válido."},
	{"liveview.validation.ip", "", "Enter a valid IP address.", "", "Introduce una dirección IP válida."},
	{"liveview.validation.e164", "", "Enter a phone number like +14155552671.", "", "Introduce un teléfono como +34912345678."},
	{"liveview.validation.datetime", "", "Enter a date as {{.Param}}.", "", "Introduce una fecha con el formato {{.Param}}."},
	{"liveview.validation.boolean", "", "Must be true or false.", "", "Debe ser verdadero o falso."},
	{"liveview.validation.invalid", "", "This value is not valid.", "", "Este valor no es válido."},

	{"liveview.bind.int", "", "Enter a whole number.", "", "Introduce un número entero."},
	{"liveview.bind.uint", "", "Enter a whole number, 0 or more.", "", "Introduce un número entero, 0 o mayor."},
	{"liveview.bind.float", "", "Enter a number.", "", "Introduce un número."},
	{"liveview.bind.bool", "", "Must be true or false.", "", "Debe ser verdadero o falso."},
	{"liveview.bind.time", "", "Enter a valid date.", "", "Introduce una fecha válida."},
	{"liveview.bind.range", "", "This number is out of range.", "", "Este número está fuera de rango."},
	{"liveview.bind.invalid", "", "This value is not valid.", "", "Este valor no es válido."},

	{"liveview.upload.too_large", "", "{{.Name}} is larger than {{.Limit}}.", "", "{{.Name}} ocupa más de {{.Limit}}."},
	{"liveview.upload.too_many", "Choose at most {{.Limit}} file.", "Choose at most {{.Limit}} files.", "Elige como máximo {{.Limit}} archivo.", "Elige como máximo {{.Limit}} archivos."},
	{"liveview.upload.type", "", "{{.Name}} is not an accepted type of file.", "", "{{.Name}} no es un tipo de archivo admitido."},
	{"liveview.upload.busy", "", "Too many uploads at once: wait for the others to finish.", "", "Demasiadas subidas a la vez: espera a que terminen las demás."},
	{"liveview.upload.disabled", "", "Files cannot be uploaded here.", "", "Aquí no se pueden subir archivos."},
	{"liveview.upload.failed", "", "The upload of {{.Name}} failed. Try again.", "", "La subida de {{.Name}} ha fallado. Inténtalo de nuevo."},
	{"liveview.upload.invalid", "", "The upload failed. Try again.", "", "La subida ha fallado. Inténtalo de nuevo."},
	{"liveview.upload.rate_limited", "", "Too many requests: try again in a moment.", "", "Demasiadas solicitudes: inténtalo de nuevo en un momento."},
	{"liveview.upload.incomplete", "", "The files have not finished uploading. Try again.", "", "Los archivos no han terminado de subirse. Inténtalo de nuevo."},
}

// tagAliases maps validation tags to the message of another tag.
var tagAliases = map[string]string{
	"required_if": "required", "required_unless": "required", "required_with": "required",
	"required_with_all": "required", "required_without": "required", "required_without_all": "required",
	"uri": "url", "http_url": "url", "https_url": "url", "url_encoded": "url",
	"number": "numeric", "gte": "min", "lte": "max",
	"ipv4": "ip", "ipv6": "ip", "uuid4": "uuid", "uuid_rfc4122": "uuid", "uuid4_rfc4122": "uuid",
}

// sizedTags have one message per kind of field (string, number, items).
var sizedTags = map[string]bool{"min": true, "max": true, "len": true, "gt": true, "lt": true}

// builtinBundle is the bundle of the built-in messages: English (its
// default) and Spanish. Messages without a count use one text for every
// plural form; Spanish "many" (one million and more) uses the "other" text.
var builtinBundle = sync.OnceValue(func() *i18n.Bundle {
	b := i18n.NewBundle(language.English)
	or := func(a, b string) string {
		if a == "" {
			return b
		}
		return a
	}
	for _, e := range catalog {
		b.MustAddMessages(language.English, &i18n.Message{ID: e.id, One: or(e.enOne, e.enOther), Other: e.enOther})
		b.MustAddMessages(language.Spanish, &i18n.Message{ID: e.id, One: or(e.esOne, e.esX), Many: e.esX, Other: e.esX})
	}
	return b
})
