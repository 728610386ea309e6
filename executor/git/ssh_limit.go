package git

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/go-git/go-git/v5/plumbing/transport"
	"golang.org/x/net/proxy"
)

// go-git's ssh transport (plan --online over ssh) keeps every advertised
// ref in memory too. Its connection is dialed through the endpoint's proxy
// option, by a proxy dialer chosen by URL scheme: boundedSSH names a
// scheme of its own, whose dialer dials as go-git would without a proxy
// (ALL_PROXY honoured) and meters what the connection reads. The bytes are
// encrypted: the meter counts the ssh protocol's few bytes of its own with
// the advertisement's.

// meterScheme is the proxy URL scheme of metered connections; the URL's
// host is the number of the session's meter.
const meterScheme = "stackplan-meter"

var (
	meters    sync.Map // meter number -> *advertisementMeter
	meterSeq  atomic.Int64
	meterOnce sync.Once
)

type boundedSSH struct{ base transport.Transport }

func (t boundedSSH) NewUploadPackSession(ep *transport.Endpoint, auth transport.AuthMethod) (transport.UploadPackSession, error) {
	meterOnce.Do(func() { proxy.RegisterDialerType(meterScheme, meteredDialer) })
	m := &advertisementMeter{}
	id := strconv.FormatInt(meterSeq.Add(1), 10)
	meters.Store(id, m)
	release := func() { meters.Delete(id) }
	metered := *ep
	metered.Proxy = transport.ProxyOptions{URL: meterScheme + "://" + id}
	s, err := t.base.NewUploadPackSession(&metered, auth)
	if err != nil {
		release()
		return nil, m.explain(err)
	}
	return &meteredSession{UploadPackSession: s, meter: m, release: release}, nil
}

// NewReceivePackSession implements transport.Transport; stackplan never
// pushes, so nothing is metered.
func (t boundedSSH) NewReceivePackSession(ep *transport.Endpoint, auth transport.AuthMethod) (transport.ReceivePackSession, error) {
	return t.base.NewReceivePackSession(ep, auth)
}

func meteredDialer(u *url.URL, _ proxy.Dialer) (proxy.Dialer, error) {
	m, ok := meters.Load(u.Host)
	if !ok {
		return nil, errors.New("stackplan: no meter for this ssh session")
	}
	return meteredDial{m.(*advertisementMeter)}, nil
}

type meteredDial struct{ meter *advertisementMeter }

func (d meteredDial) Dial(network, addr string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, addr)
}

func (d meteredDial) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := proxy.Dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &meteredConn{Conn: c, meter: d.meter}, nil
}

// meteredConn fails its reads, and closes, past the meter's limit.
type meteredConn struct {
	net.Conn
	meter *advertisementMeter
}

func (c *meteredConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if lerr := c.meter.add(n); lerr != nil {
		c.Conn.Close()
		return 0, lerr
	}
	return n, err
}
