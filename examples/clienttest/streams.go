package main

import (
	"fmt"
	"html/template"

	"github.com/echo-liveview/liveview"
)

// streamOp is the stream frame that the button data-op of the list
// data-box (stream_box in templates/streams.html) sends: its item ids are
// the list's id, "-" and a name. typed is what the list's input holds.
func streamOp(box, op, typed string) (liveview.Stream, error) {
	id := func(name string) string { return box + "-" + name }
	li := func(name string) liveview.StreamItem {
		return liveview.StreamItem{ID: id(name), HTML: "<li>" + name + "</li>"}
	}
	// The list's second item, with its input (the same attributes as in
	// stream_box) and what was typed into it.
	b := func(class string) liveview.StreamItem {
		return liveview.StreamItem{ID: id("b"), HTML: fmt.Sprintf(`<li class="%s">B2 <input name="typed" id="%s" value="server" data-liveview-function="stream_op" data-box="%s" data-op="typed" data-action="input->page#run"><span>typed: %s</span></li>`,
			class, id("typed"), box, template.HTMLEscapeString(typed))}
	}
	at := func(it liveview.StreamItem, where liveview.StreamAt) liveview.StreamItem { it.At = where; return it }
	s := liveview.Stream{Target: "#" + box}
	switch op {
	case "ends": // x a b c y
		s.Items = []liveview.StreamItem{at(li("x"), liveview.StreamStart), li("y")}
	case "around": // x a p b q c y m
		p, q, m := li("p"), li("q"), li("m")
		p.Before, q.After, m.Before = id("b"), id("b"), id("nope")
		s.Items = []liveview.StreamItem{p, q, m}
	case "update", "typed": // in place, wherever At says
		s.Items = []liveview.StreamItem{at(b(op), liveview.StreamStart)}
	case "delete":
		s.Items = []liveview.StreamItem{{ID: id("q"), Delete: true}, {ID: id("nope"), Delete: true}}
	case "limit": // an insert at the end trims the start
		s.Items, s.Limit = []liveview.StreamItem{li("z")}, 4
	case "limit-start": // an insert at the start trims the end
		s.Items, s.Limit = []liveview.StreamItem{at(li("w"), liveview.StreamStart)}, 2
	case "reset":
		s.Reset, s.Items = true, []liveview.StreamItem{li("r1"), li("r2")}
	case "missing":
		s.Target, s.Items = "#"+box+"-missing-list", []liveview.StreamItem{li("never")}
	case "scripts", "scripts-update": // a script per insert or update, a cleanup hook per removal
		s.Items = []liveview.StreamItem{{ID: id("s"), HTML: `<li>scripted <script>streamLog.push("run " + el.id + " " + (this === el)); el.__cleanup = () => streamLog.push("cleanup " + el.id);</script></li>`}}
	case "scripts-delete":
		s.Items = []liveview.StreamItem{{ID: id("s"), Delete: true}}
	default:
		return s, liveview.NewError("no such stream op: " + op)
	}
	return s, nil
}

func init() {
	liveview.Handle("stream_op", func(c *liveview.Context) error {
		s, err := streamOp(c.Data("box"), c.Data("op"), c.FormValue("typed"))
		if err != nil {
			return err
		}
		return c.SendStream(s)
	})
}
