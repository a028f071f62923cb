package liveview

// logAttrs appends to args the attributes every log line about c carries:
// room, remote and conn, the names of ConnInfo's fields (remote is ""
// for a connection without a request, as in some unit tests).
func (c *conn) logAttrs(args ...any) []any {
	remote := ""
	if c.req != nil {
		remote = c.req.RemoteAddr
	}
	return append(args, "room", c.room, "remote", remote, "conn", c.id)
}
