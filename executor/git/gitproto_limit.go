package git

import (
	"context"
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
	return &relayedSession{UploadPackSession: s, relay: r}, nil
}

// NewReceivePackSession implements transport.Transport; stackplan never
// pushes, so nothing is relayed.
func (t boundedGitProtocol) NewReceivePackSession(ep *transport.Endpoint, auth transport.AuthMethod) (transport.ReceivePackSession, error) {
	return t.base.NewReceivePackSession(ep, auth)
}

// relayedSession reports the relay's limit instead of the end of file go-git
// sees when the relay cuts the connection.
type relayedSession struct {
	transport.UploadPackSession
	relay *relay
}

func (s *relayedSession) AdvertisedReferences() (*packp.AdvRefs, error) {
	ar, err := s.UploadPackSession.AdvertisedReferences()
	return ar, s.relay.explain(err)
}

func (s *relayedSession) AdvertisedReferencesContext(ctx context.Context) (*packp.AdvRefs, error) {
	ar, err := s.UploadPackSession.AdvertisedReferencesContext(ctx)
	return ar, s.relay.explain(err)
}

func (s *relayedSession) UploadPack(ctx context.Context, req *packp.UploadPackRequest) (*packp.UploadPackResponse, error) {
	resp, err := s.UploadPackSession.UploadPack(ctx, req)
	return resp, s.relay.explain(err)
}

func (s *relayedSession) Close() error {
	err := s.UploadPackSession.Close()
	s.relay.close()
	return err
}

// relay forwards one go-git connection to a git:// remote it has
// connected to.
type relay struct {
	ln       net.Listener
	endpoint *transport.Endpoint // ep, pointing at the relay
	host     string              // the host the request names, as go-git names it without the relay

	mu    sync.Mutex
	conns []net.Conn
	err   error // set before the relay cuts the connections
	// received counts the advertisement's bytes forwarded to go-git.
	received int64
	closed   bool
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
	// The advertisement ends where go-git first answers (its wants, or a
	// flush to end a listing): until then every byte counts.
	answered := make(chan struct{})
	go func() {
		buf := make([]byte, 32<<10)
		first := true
		for {
			n, err := client.Read(buf)
			if n > 0 && first {
				first = false
				close(answered)
			}
			if n > 0 {
				if _, werr := upstream.Write(buf[:n]); werr != nil {
					err = werr
				}
			}
			if err != nil {
				r.close()
				return
			}
		}
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := upstream.Read(buf)
		if n > 0 {
			select {
			case <-answered:
			default:
				if !r.count(int64(n)) {
					return
				}
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

// count adds n bytes of advertisement, and cuts the connections past the cap.
func (r *relay) count(n int64) bool {
	r.mu.Lock()
	r.received += n
	over := r.received > advertisementCap
	r.mu.Unlock()
	if over {
		r.fail(ErrAdvertisementTooLarge)
	}
	return !over
}

// track keeps c to close with the relay; false when the relay is closed.
func (r *relay) track(c net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		c.Close()
		return false
	}
	r.conns = append(r.conns, c)
	return true
}

// fail records why the relay stopped (the first reason) and cuts it.
func (r *relay) fail(err error) {
	r.mu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.mu.Unlock()
	r.close()
}

func (r *relay) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	r.ln.Close()
	for _, c := range r.conns {
		c.Close()
	}
}

// explain replaces err, the end of file go-git sees when the relay cut
// the connection, with the reason it did: the limit, or the remote's
// dial error.
func (r *relay) explain(err error) error {
	if err == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	return err
}
