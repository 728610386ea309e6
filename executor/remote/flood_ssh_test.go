package remote

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/stackplan/stackplan/executor/git"
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
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
	agentLn, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agentLn.Close() })
	t.Setenv("SSH_AUTH_SOCK", sock)
	go func() {
		for {
			c, err := agentLn.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); agent.ServeAgent(keyring, c) }()
		}
	}()
	sent = &atomic.Int64{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
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
							go func() { defer ch.Close(); floodRefs(ch, sent, stopAfter) }()
						}
					}
				}
			}()
		}
	}()
	return "ssh://git@" + ln.Addr().String() + "/flood", sent
}

// A remote reached over ssh that advertises refs without end: the listing
// fails with the limit, with bounded memory, as over git://.
func TestFloodingSSHBounded(t *testing.T) {
	url, sent := floodSSH(t, 2*git.MaxAdvertisement)
	base := resetPeakRSS(t)
	_, err := GoGit{}.List(context.Background(), url)
	if err == nil || !strings.Contains(err.Error(), "MiB of refs") {
		t.Fatalf("got %v, want the advertisement limit", err)
	}
	if n := sent.Load(); n > git.MaxAdvertisement+16<<20 {
		t.Errorf("the remote sent %d MiB for a %d MiB limit", n>>20, git.MaxAdvertisement>>20)
	}
	grown := peakRSS(t) - base
	t.Logf("peak RSS grew by %d MiB; the remote sent %d MiB", grown>>20, sent.Load()>>20)
	if grown > 4*git.MaxAdvertisement {
		t.Errorf("peak RSS grew by %d MiB for a %d MiB limit", grown>>20, git.MaxAdvertisement>>20)
	}
}
