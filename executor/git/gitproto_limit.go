package git

import (
	"context"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/transport"
	gitproto "github.com/go-git/go-git/v5/plumbing/transport/git"
)

// go-git's git:// transport dials the remote itself (its connection code is
// internal, with no dialer to pass) and keeps every advertised ref in
// memory: a remote that advertises refs without end grows this process
// until the timeout. boundedGitProtocol puts a relay on 127.0.0.1 between
// go-git and the remote, which counts the bytes of the advertisement and
// cuts both connections past MaxAdvertisement. The relay rewrites only
// the host go-git names in its request, so the remote sees the same
// request as without it.

// advertisementCap is MaxAdvertisement; tests lower it.
var advertisementCap int64 = MaxAdvertisement

// relayDialTimeout bounds the connection to the remote; the caller's
// context bounds the rest.
const relayDialTimeout = 30 * time.Second

type boundedGitProtocol struct{ base transport.Transport }

func (t boundedGitProtocol) NewUploadPackSession(ep *transport.Endpoint, auth transport.AuthMethod) (transport.UploadPackSession, error) {
	r, err := startRelay(ep)
	if err != nil {
		return nil, err
	}
	s, err := t.base.NewUploadPackSession(r.endpoint, auth)
	if err != nil {
		r.close()
		return nil, r.explain(err)
	}
	return &meteredSession{UploadPackSession: s, meter: &r.advertisementMeter, release: r.close}, nil
}

// NewReceivePackSession implements transport.Transport; stackplan never
// pushes, so nothing is relayed.
func (t boundedGitProtocol) NewReceivePackSession(ep *transport.Endpoint, auth transport.AuthMethod) (transport.ReceivePackSession, error) {
	return t.base.NewReceivePackSession(ep, auth)
}

// advertisementMeter counts the bytes a remote sends until go-git asks for
// a pack, and records why a connection it watches was cut.
// They are charged to the process's advertisementBudget until the
// advertisement is over or the session closed.
type advertisementMeter struct {
	mu       sync.Mutex
	received int64
	answered bool  // go-git asked for a pack: the advertisement is over
	err      error // the first reason the connection was cut
	charge   charge
}

// add counts n bytes read from the remote; past the limit or the budget it
// records and returns ErrAdvertisementTooLarge or ErrAdvertisementsTooLarge.
func (m *advertisementMeter) add(n int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.answered {
		return nil
	}
	m.received += int64(n)
	err := m.charge.add(n)
	if m.received > advertisementCap {
		m.charge.fail()
		err = ErrAdvertisementTooLarge
	}
	if err != nil && m.err == nil {
		m.err = err
	}
	return err
}

// answer marks the end of the advertisement: its bytes leave the budget.
func (m *advertisementMeter) answer() {
	m.mu.Lock()
	m.answered = true
	m.mu.Unlock()
	m.charge.end()
}

// record keeps err as the reason the connection was cut, unless one is
// known.
func (m *advertisementMeter) record(err error) {
	m.mu.Lock()
	if m.err == nil {
		m.err = err
	}
	m.mu.Unlock()
}

// explain replaces err, the end of file go-git sees when the connection
// was cut, with the reason it was: the limit, or the remote's error.
func (m *advertisementMeter) explain(err error) error {
	if err == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	return err
}

// meteredSession is a go-git session whose connection a meter watches: it
// tells the meter where the advertisement ends, and reports the meter's
// reason instead of the end of file go-git sees when the connection is cut.
type meteredSession struct {
	transport.UploadPackSession
	meter   *advertisementMeter
	release func()
}

func (s *meteredSession) AdvertisedReferences() (*packp.AdvRefs, error) {
	ar, err := s.UploadPackSession.AdvertisedReferences()
	return ar, s.meter.explain(err)
}

func (s *meteredSession) AdvertisedReferencesContext(ctx context.Context) (*packp.AdvRefs, error) {
	ar, err := s.UploadPackSession.AdvertisedReferencesContext(ctx)
	return ar, s.meter.explain(err)
}

func (s *meteredSession) UploadPack(ctx context.Context, req *packp.UploadPackRequest) (*packp.UploadPackResponse, error) {
	// go-git read the advertisement before it asks (it reads it here if
	// not): the pack is bounded by the clone's own limits.
	if _, err := s.AdvertisedReferencesContext(ctx); err != nil {
		return nil, err
	}
	s.meter.answer()
	resp, err := s.UploadPackSession.UploadPack(ctx, req)
	return resp, s.meter.explain(err)
}

func (s *meteredSession) Close() error {
	err := s.UploadPackSession.Close()
	s.meter.charge.end()
	if s.release != nil {
		s.release()
	}
	return err
}

// relay forwards one go-git connection to a git:// remote it has
// connected to.
type relay struct {
	ln       net.Listener
	endpoint *transport.Endpoint // ep, pointing at the relay
	host     string              // the host the request names, as go-git names it without the relay

	advertisementMeter

	connMu sync.Mutex
	conns  []net.Conn
	closed bool
}

func startRelay(ep *transport.Endpoint) (*relay, error) {
	port := ep.Port
	if port <= 0 {
		port = gitproto.DefaultPort
	}
	// Dial first, as go-git would: an unreachable remote fails here, with
	// the dial's own error.
	upstream, err := net.DialTimeout("tcp", net.JoinHostPort(ep.Host, strconv.Itoa(port)), relayDialTimeout)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		upstream.Close()
		return nil, err
	}
	host := ep.Host
	if ep.Port > 0 && ep.Port != gitproto.DefaultPort {
		host = net.JoinHostPort(ep.Host, strconv.Itoa(ep.Port))
	}
	relayed := *ep
	relayed.Host, relayed.Port = "127.0.0.1", ln.Addr().(*net.TCPAddr).Port
	r := &relay{ln: ln, endpoint: &relayed, host: host, conns: []net.Conn{upstream}}
	go r.serve(upstream)
	return r, nil
}

// serve relays the session's one connection: go-git connects once per
// session, so the listener closes after the first.
func (r *relay) serve(upstream net.Conn) {
	client, err := r.ln.Accept()
	r.ln.Close()
	if err != nil {
		return
	}
	if !r.track(client) {
		return
	}
	var req packp.GitProtoRequest
	if err := req.Decode(client); err != nil {
		r.fail(err)
		return
	}
	req.Host = r.host
	if err := req.Encode(upstream); err != nil {
		r.fail(err)
		return
	}
	go func() {
		io.Copy(upstream, client)
		r.close()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := upstream.Read(buf)
		if n > 0 {
			if lerr := r.add(n); lerr != nil {
				r.close()
				return
			}
			if _, werr := client.Write(buf[:n]); werr != nil {
				err = werr
			}
		}
		if err != nil {
			r.close()
			return
		}
	}
}

// track keeps c to close with the relay; false when the relay is closed.
func (r *relay) track(c net.Conn) bool {
	r.connMu.Lock()
	defer r.connMu.Unlock()
	if r.closed {
		c.Close()
		return false
	}
	r.conns = append(r.conns, c)
	return true
}

// fail records why the relay stopped (the first reason) and cuts it.
func (r *relay) fail(err error) {
	r.record(err)
	r.close()
}

func (r *relay) close() {
	r.connMu.Lock()
	defer r.connMu.Unlock()
	r.closed = true
	r.ln.Close()
	for _, c := range r.conns {
		c.Close()
	}
}
