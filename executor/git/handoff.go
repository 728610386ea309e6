package git

import (
	"context"
	"encoding/binary"
	"errors"
	"io"

	"github.com/go-git/go-git/v5/storage/filesystem"
)

// packHeaderLen is the length of a pack's header: "PACK", the version, and
// the number of objects that follow, each a big-endian uint32.
const packHeaderLen = 12

// handoffStorage is go-git's filesystem storage for a clone whose size is
// not known before it starts. go-git negotiates, and each pack the server
// sends goes to go-git when its header announces at most limit objects, and
// to git index-pack otherwise, so a large repository costs neither a second
// fetch nor go-git's time and memory on thousands of objects.
type handoffStorage struct {
	*filesystem.Storage
	limit    uint32
	git      *SystemGit
	ctx      context.Context
	dir      string
	progress func(string)
	// handedOff is set once a pack went to git index-pack.
	handedOff bool
	// refuseAbove, when above zero, makes a pack of more objects fail
	// before any of it is read, as git is to clone instead (a blobless
	// partial clone); refused is then set.
	refuseAbove uint32
	refused     bool
	// objects is how many objects the last pack's header announced.
	objects uint32
}

// errLargePack stops go-git's fetch at the header of a large pack.
var errLargePack = errors.New("large pack: cloned by git instead")

// PackfileWriter implements go-git's storer.PackfileWriter, which a fetch
// writes the pack it receives to.
func (s *handoffStorage) PackfileWriter() (io.WriteCloser, error) {
	return &packSwitch{s: s}, nil
}

// packSwitch holds back a pack's header until it is whole, then sends it
// and the rest of the pack to go-git or to git index-pack.
type packSwitch struct {
	s      *handoffStorage
	header []byte
	dst    io.WriteCloser
	toGit  bool
}

func (p *packSwitch) Write(b []byte) (int, error) {
	n := len(b)
	if p.dst == nil {
		need := packHeaderLen - len(p.header)
		if len(b) < need {
			p.header = append(p.header, b...)
			return n, nil
		}
		p.header = append(p.header, b[:need]...)
		b = b[need:]
		if err := p.open(); err != nil {
			return 0, err
		}
		if _, err := p.dst.Write(p.header); err != nil {
			return 0, err
		}
	}
	if len(b) > 0 {
		if _, err := p.dst.Write(b); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// open picks where the pack goes. What is not a pack header goes to go-git,
// whose parser reports what is wrong with it.
func (p *packSwitch) open() error {
	if len(p.header) == packHeaderLen && string(p.header[:4]) == "PACK" {
		p.s.objects = binary.BigEndian.Uint32(p.header[8:])
		if p.s.refuseAbove > 0 && p.s.objects > p.s.refuseAbove {
			p.s.refused = true
			return errLargePack
		}
		if p.s.objects > p.s.limit {
			var err error
			p.dst, err = p.s.git.indexPack(p.s.ctx, p.s.dir, p.s.progress)
			p.toGit = err == nil
			p.s.handedOff = p.s.handedOff || p.toGit
			return err
		}
	}
	var err error
	p.dst, err = p.s.Storage.PackfileWriter()
	return err
}

func (p *packSwitch) Close() error {
	if p.dst == nil {
		// A stream shorter than a header: go-git says what is wrong.
		if err := p.open(); err != nil {
			return err
		}
		if _, err := p.dst.Write(p.header); err != nil {
			p.dst.Close()
			return err
		}
	}
	err := p.dst.Close()
	if p.toGit {
		// go-git lists a repository's packs once; git added one.
		p.s.Storage.Reindex()
	}
	return err
}
