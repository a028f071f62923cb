package liveview

// HandlerGroup is a set of handlers that share middleware, like an
// echo.Group without a path: protect some handlers of a Hub (a login
// check, an admin check) without a second Hub and WebSocket endpoint.
//
//	admin := hub.Group(requireAdmin)
//	admin.Handle("delete_user", deleteUser)
//	admin.Handle("ban_user", banUser, auditLog) // auditLog runs for this one only
//
// Middleware runs outermost first: the Hub's (Hub.Use), then each
// enclosing group's from the outermost in, then the handler's own (the
// mw of Handle), each list in the order added. Unlike echo.Group, Use
// applies to every handler of the group and of its subgroups, those
// registered before the call included, as Hub.Use does: a handler is never
// left unprotected by the order of two lines.
//
// A name belongs to one handler per Hub, whatever the group: registering
// it again, through any group, replaces the handler, its group and its
// middleware, and logs a warning. Chains are composed when handlers or
// middleware are added, never per event. All methods are safe for
// concurrent use. Create one with Hub.Group, Group or HandlerGroup.Group;
// the zero value is not usable.
type HandlerGroup struct {
	reg  *registry
	node *groupNode
}

// Group returns a new group of h's handlers with middleware mw (more can be
// added with Use). It panics on a nil middleware, like Use.
func (h *Hub) Group(mw ...MiddlewareFunc) *HandlerGroup { return newGroup(h.reg, &h.reg.root, mw) }

// Group returns a new group of the default Hub's handlers (see Handle)
// with middleware mw.
func Group(mw ...MiddlewareFunc) *HandlerGroup {
	return newGroup(defaultRegistry, &defaultRegistry.root, mw)
}

func newGroup(r *registry, parent *groupNode, mw []MiddlewareFunc) *HandlerGroup {
	g := &HandlerGroup{reg: r, node: &groupNode{parent: parent}}
	if len(mw) > 0 {
		r.use(g.node, mw...)
	}
	return g
}

// Handle registers fn for the function name in the group, with the
// group's middleware and then mw, which applies to this handler only.
// Registering a name again replaces the handler and logs a warning. It
// panics on an empty name, a nil fn or a nil middleware (programming
// errors).
func (g *HandlerGroup) Handle(name string, fn HandlerFunc, mw ...MiddlewareFunc) {
	g.reg.handle(g.node, name, fn, mw)
}

// Use adds middleware to every handler of the group and its subgroups,
// including those already registered, after the middleware added before.
func (g *HandlerGroup) Use(mw ...MiddlewareFunc) { g.reg.use(g.node, mw...) }

// Group returns a subgroup: its handlers run g's middleware, then mw.
func (g *HandlerGroup) Group(mw ...MiddlewareFunc) *HandlerGroup { return newGroup(g.reg, g.node, mw) }
