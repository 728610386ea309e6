// Package git checks out plugin repositories the way DevStack's git_clone
// does (docs/devstack.md §5), behind a [Cloner] interface with two
// implementations: [SystemGit], which runs the git command, and [GoGit],
// which uses go-git in-process. [Auto] picks one per repository: go-git is
// faster for small repositories (no process start-up), the git command is
// several times faster and leaner on large ones, and only git makes partial
// clones. For a new clone the choice is made when the server's pack
// announces its size: go-git negotiates, and a pack of a long history is
// left unread for git to make a blobless partial clone
// (--filter=blob:none: every commit and tree, the blobs of the checkout;
// see [BloblessFilter]), a full one where the server refuses filters; a
// pack of a short history, or any large pack with GIT_DEPTH or full clones
// asked for, goes to git index-pack and the checkout to git. A [Cache]
// keeps a mirror per URL whose objects new clones borrow. SystemGit
// clones a branch or tag with a single git clone and detaches HEAD
// in-process, and every Head reads the repository's files without starting
// a process when their layout allows (the no-op re-apply reads one HEAD per
// plugin).
//
// [Ensure] holds the policy both share: OFFLINE, ERROR_ON_CLONE and RECLONE
// keep DevStack's meaning, and a new checkout is made in a temporary
// directory beside the destination and renamed into place, so a failure or a
// cancellation never leaves a half clone at DEST/NAME.
//
// URLs and refs are data from other people's configurations: they are never
// placed where git could read them as options, and only the file, git,
// http, https and ssh transports are allowed.
package git
