package liveview

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Topics: a connection is in its room's topic and the broadcast topic from
// the handshake on, and in any topic it joins with Context.Join. A room IS
// a topic: the Broker topic of a topic name T is roomTopicPrefix + T, so
// Hub.Publish(ctx, T, m) reaches the connections whose room is T and those
// that joined T alike. Each topic costs one Broker subscription per
// instance, shared by its local members (Hub.join).
//
// Membership ends with the connection: onDisconnect's leaveAll leaves the
// joined topics too, and a Join that races with it (or comes after) fails
// with ErrConnClosed and leaves nothing subscribed.
//
// Hub.Disconnect publishes a control payload on the topic instead of a
// frame: a frame always starts with '{', a control payload with a 0x00
// byte. Every instance's deliver recognises it and closes its local
// members with CloseDisconnected; no socket ever receives it.

// maxTopicLen is the longest name ValidTopic accepts, in bytes.
const maxTopicLen = 200

// ValidTopic reports whether topic is 1 to 200 bytes of ASCII letters,
// digits and _ . : / @ -, the names Context.Join accepts by default
// (Config.ValidTopic). Every name ValidRoom accepts is a valid topic.
func ValidTopic(topic string) bool {
	if len(topic) == 0 || len(topic) > maxTopicLen {
		return false
	}
	for i := 0; i < len(topic); i++ {
		c := topic[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '_' || c == '.' || c == ':' || c == '/' || c == '@' || c == '-') {
			return false
		}
	}
	return true
}

// connTopics is a connection's joined topics. joinMu serialises Join and
// Leave, so a topic's membership in joined and in the Hub never disagree
// for long; mu guards joined and left, which leaveAll reads without
// waiting for a Join in progress (its Broker subscription may be slow).
type connTopics struct {
	joinMu sync.Mutex
	mu     sync.Mutex
	joined map[string]struct{} // topic names (not Broker topics) joined with Join
	left   bool                // leaveAll ran: every Join fails from now on
}

// Join makes the connection a member of topic besides its room, on every
// instance's Publish: Hub.Publish(ctx, topic, m) and Context.Publish(topic,
// m) reach it, and Hub.Disconnect(ctx, topic, reason) closes it. It
// returns once the Broker subscription is active (a Publish that starts
// afterwards reaches the connection), waiting at most
// Config.HandshakeTimeout. It works from Config.OnConnect too, before the
// upgrade: frames published to topic from then on are held and sent first
// once the socket opens, as for the room.
//
// Joining a topic again, or the connection's own room, is a no-op. A name
// Config.ValidTopic refuses gives an error wrapping ErrInvalidTopic; a
// connection already in Config.MaxTopics topics, ErrTooManyTopics; a
// connection that has closed (or closes during the call), ErrConnClosed;
// a Broker failure or the timeout, that error. On error nothing is
// joined. Membership ends with the connection. Join and Leave are safe
// for concurrent use; calls for one connection are serialised.
func (c *Context) Join(topic string) error {
	cn, h := c.conn, c.conn.hub
	if topic == cn.room {
		return nil
	}
	if !h.cfg.ValidTopic(topic) {
		return fmt.Errorf("%w: %q", ErrInvalidTopic, clip(topic, MaxClientStringLog))
	}
	// Kept for the connection's life: a copy, as a topic taken from the
	// event (c.Data) shares the frame's memory, which it would keep.
	topic = strings.Clone(topic)
	ct := &cn.topicSet
	ct.joinMu.Lock()
	defer ct.joinMu.Unlock()
	ct.mu.Lock()
	switch _, dup := ct.joined[topic]; {
	case ct.left || cn.closed.Load():
		ct.mu.Unlock()
		return ErrConnClosed
	case dup:
		ct.mu.Unlock()
		return nil
	case h.cfg.MaxTopics >= 0 && len(ct.joined) >= h.cfg.MaxTopics:
		ct.mu.Unlock()
		return fmt.Errorf("%w: %q: the connection is in %d topics (Config.MaxTopics)", ErrTooManyTopics, clip(topic, MaxClientStringLog), h.cfg.MaxTopics)
	}
	if ct.joined == nil {
		ct.joined = make(map[string]struct{})
	}
	ct.joined[topic] = struct{}{} // before h.join: a leaveAll from now on leaves it
	ct.mu.Unlock()
	if testHookJoining != nil {
		testHookJoining(cn)
	}

	ctx, cancel := context.WithTimeout(cn.ctx, h.cfg.HandshakeTimeout)
	defer cancel()
	err := h.join(ctx, cn, roomTopicPrefix+topic)
	ct.mu.Lock()
	left := ct.left
	if err != nil || left {
		delete(ct.joined, topic)
	}
	ct.mu.Unlock()
	switch {
	case err != nil: // h.join left the topic
		return fmt.Errorf("liveview: join %q: %w", clip(topic, MaxClientStringLog), err)
	case left: // leaveAll ran meanwhile, maybe before h.join made cn a member
		h.leave(cn, roomTopicPrefix+topic)
		return ErrConnClosed
	}
	return nil
}

// testHookJoining, set by a test only, runs in Join between marking the
// topic joined and joining it on the Hub: where the connection's end may
// come.
var testHookJoining func(*conn)

// Leave ends the connection's membership of topic, joined with Join: no
// frame published to topic afterwards reaches it (frames already queued
// for the socket still go). Leaving a topic not joined is a no-op; the
// connection's own room cannot be left (an error wrapping
// ErrInvalidTopic).
func (c *Context) Leave(topic string) error {
	cn := c.conn
	if topic == cn.room {
		return fmt.Errorf("%w: %q is the connection's room", ErrInvalidTopic, clip(topic, MaxClientStringLog))
	}
	ct := &cn.topicSet
	ct.joinMu.Lock()
	defer ct.joinMu.Unlock()
	ct.mu.Lock()
	_, ok := ct.joined[topic]
	delete(ct.joined, topic)
	ct.mu.Unlock()
	if ok {
		cn.hub.leave(cn, roomTopicPrefix+topic)
	}
	return nil
}

// Topics returns the topics the connection joined with Join, sorted,
// without its room; in Config.OnDisconnect, the ones it was in when it
// closed. Nil when none.
func (c *Context) Topics() []string {
	ct := &c.conn.topicSet
	ct.mu.Lock()
	defer ct.mu.Unlock()
	if len(ct.joined) == 0 {
		return nil
	}
	out := make([]string, 0, len(ct.joined))
	for t := range ct.joined {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// leaveJoined marks c's topics as left for good and returns their Broker
// topics; leaveAll leaves them.
func (c *conn) leaveJoined() []string {
	ct := &c.topicSet
	ct.mu.Lock()
	defer ct.mu.Unlock()
	ct.left = true
	out := make([]string, 0, len(ct.joined))
	for t := range ct.joined {
		out = append(out, roomTopicPrefix+t)
	}
	return out
}

// CloseDisconnected is the WebSocket close code with which Hub.Disconnect
// closes connections; the close reason is "liveview:disconnected", followed
// by ":" and the reason given to Disconnect when there is one. The bundled
// client does not reconnect: it shows the reason (else its
// webSocketConfig.disconnectedMessage) in the #no-connection banner.
const CloseDisconnected = 4403

// disconnectedReason starts the close reason sent with CloseDisconnected.
const disconnectedReason = "liveview:disconnected"

// maxCloseReason is the longest close reason a WebSocket close frame
// carries, in bytes (125 of payload, 2 of them the code).
const maxCloseReason = 123

// ctlDisconnect starts the control payload of Hub.Disconnect; the close
// reason's text follows. A control payload starts with 0x00, which no
// frame (a JSON object) does.
const ctlDisconnect = "\x00disconnect\x00"

// Disconnect closes every connection in topic (its room, or a topic it
// joined with Context.Join) on every instance sharing the Broker, with
// CloseDisconnected and the close reason "liveview:disconnected:<reason>"
// ("liveview:disconnected" when reason is ""): use it when a user logs
// out or a session is revoked, with the user's own topic. reason is
// clipped at a UTF-8 boundary (ending with "...") so the close reason fits
// in 123 bytes. The bundled client shows the reason in its
// #no-connection banner (webSocketConfig.disconnectedMessage when there is
// none) and does not reconnect; the page's next load connects again.
//
// It returns once the Broker took the request; every instance then
// closes its members asynchronously, after the frames already queued for
// them (a Publish to topic made before Disconnect arrives first), each
// within about a second even for a client that stopped reading.
// Config.OnDisconnect runs for them as for any close. A connection still
// in its handshake (it joined topic from Config.OnConnect) is closed as
// soon as its socket opens. Connections that join topic afterwards are
// not affected.
//
// It returns an error wrapping ErrInvalidTopic for an empty topic,
// ErrHubClosed after Close, and the Broker's error (wrapped) if the
// request could not be published.
func (h *Hub) Disconnect(ctx context.Context, topic string, reason string) error {
	if topic == "" {
		return fmt.Errorf("%w: empty", ErrInvalidTopic)
	}
	if h.isClosed() {
		return ErrHubClosed
	}
	text := disconnectedReason
	if reason != "" {
		room := maxCloseReason - len(text) - len(":")
		if len(reason) > room || !utf8.ValidString(reason) {
			reason = clip(reason, room-len("..."))
		}
		text += ":" + reason
	}
	if err := h.broker.Publish(ctx, roomTopicPrefix+topic, []byte(ctlDisconnect+text)); err != nil {
		return fmt.Errorf("liveview: disconnect: %w", err)
	}
	return nil
}

// control runs a control payload p (first byte 0x00) delivered on t.
func (h *Hub) control(t *topic, p []byte) {
	text, ok := bytes.CutPrefix(p, []byte(ctlDisconnect))
	if !ok {
		h.log.Warn("liveview: unknown control payload ignored (an instance of a newer version?)", "bytes", len(p))
		return
	}
	reason := string(text)
	h.mu.RLock()
	conns := make([]*conn, 0, len(t.members))
	for c := range t.members {
		conns = append(conns, c)
	}
	if len(conns) > 0 {
		h.wg.Add(1) // each member holds h.wg, so the count is not 0 here
	}
	h.mu.RUnlock()
	if len(conns) == 0 {
		return
	}
	// Not on the Broker's goroutine: a client that stopped reading holds
	// its close for closeTimeout.
	go func() {
		defer h.wg.Done()
		h.closeAll(conns, func(c *conn) { c.disconnect(reason) })
	}()
}

// disconnect closes c with CloseDisconnected and reason once the frames
// already queued for it are written (at most closeTimeout). Before the
// upgrade, onConnect closes it as the socket opens.
func (c *conn) disconnect(reason string) {
	c.sendMu.Lock()
	if c.sess.Load() == nil {
		c.kicked, c.kickReason = true, reason
		c.sendMu.Unlock()
		return
	}
	c.sendMu.Unlock()
	c.setCloseReason(ReasonDisconnected) // hooks.go
	c.flush(closeTimeout)
	c.closeWith(CloseDisconnected, reason)
}
