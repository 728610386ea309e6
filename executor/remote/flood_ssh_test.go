package remote

import (
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/stackplan/stackplan/executor/git"
	"github.com/stackplan/stackplan/executor/internal/gittest"
)

// floodSSH is an ssh remote on 127.0.0.1 that lets any key in and answers
// git-upload-pack with refs, a new name each, until it sent stopAfter
// bytes. It sets SSH_KNOWN_HOSTS to know its host key and SSH_AUTH_SOCK
// to an agent holding a key, as go-git's ssh transport needs.
func floodSSH(t *testing.T, stopAfter int64) (url string, sent *atomic.Int64) {
	t.Helper()
	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	hostKey, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(ssh.ConnMetadata, ssh.PublicKey) (*ssh.Permissions, error) { return nil, nil }}
	cfg.AddHostKey(hostKey)
	ln := gittest.ListenLoopback(t, "tcp", "127.0.0.1:0")
	dir := t.TempDir()
	known := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(known, []byte(knownhosts.Line([]string{knownhosts.Normalize(ln.Addr().String())}, hostKey.PublicKey())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSH_KNOWN_HOSTS", known)
	_, userPriv, _ := ed25519.GenerateKey(rand.Reader)
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: userPriv}); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "agent.sock")
	t.Setenv("SSH_AUTH_SOCK", sock)
	gittest.ServeEach(gittest.ListenLoopback(t, "unix", sock), func(c net.Conn) { agent.ServeAgent(keyring, c) })
	sent = &atomic.Int64{}
	gittest.ServeEach(ln, func(c net.Conn) {
		_, chans, reqs, err := ssh.NewServerConn(c, cfg)
		if err != nil {
			return
		}
		go ssh.DiscardRequests(reqs)
		for nc := range chans {
			ch, creqs, err := nc.Accept()
			if err != nil {
				return
			}
			for req := range creqs {
				req.Reply(req.Type == "exec", nil)
				if req.Type == "exec" {
					go func() { defer ch.Close(); gittest.FloodRefs(ch, sent, stopAfter) }()
				}
			}
		}
	})
	return "ssh://git@" + ln.Addr().String() + "/flood", sent
}

// A remote reached over ssh that advertises refs without end: the listing
// fails with the limit, with bounded memory, as over git://.
func TestFloodingSSHBounded(t *testing.T) {
	url, sent := floodSSH(t, 2*git.MaxAdvertisement)
	listFloodBounded(t, url, sent)
}
