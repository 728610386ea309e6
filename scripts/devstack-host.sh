#!/usr/bin/env bash
# devstack-host.sh: make this machine able to run DevStack's real stack.sh,
# unstack.sh and clean.sh, offline, for stackplan's end-to-end tests.
#
#   scripts/devstack-host.sh setup [DIR]            (as root) packages, the stack user,
#                                                   and the stand-ins under DIR
#   scripts/devstack-host.sh requirements REPO      a requirements repository for DEST
#   DIR/run-as-stack CMD...                         runs CMD as the stack user with the
#                                                   stand-ins in place
#
# DIR defaults to /var/lib/stackplan-devstack. Every stand-in a container needs
# lives here, each with the reason for it; nothing of DevStack's is changed
# and the machine's own /usr/bin/systemctl is never touched.
set -euo pipefail

STACK_USER=${STACK_USER:-stack}

setup() {
	local dir=${1:-/var/lib/stackplan-devstack}
	if [ "$(id -u)" -ne 0 ]; then
		echo "devstack-host.sh setup must run as root" >&2
		exit 2
	fi

	# Packages DevStack would install itself when online: a2query/a2enmod
	# (apache2), uuidgen (uuid-runtime), iptables, lsb_release; sudo for the
	# stack user; gawk because DevStack's merge_config_file awk program does
	# nothing under mawk; python3-venv because stack.sh makes a bindep venv.
	local need=()
	local cmd pkg
	for pair in sudo:sudo iptables:iptables uuidgen:uuid-runtime a2query:apache2 \
		git:git lsb_release:lsb-release gawk:gawk unshare:util-linux; do
		cmd=${pair%%:*} pkg=${pair#*:}
		command -v "$cmd" >/dev/null || need+=("$pkg")
	done
	python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
	if [ ${#need[@]} -gt 0 ]; then
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq "${need[@]}" >/dev/null
	fi

	# stack.sh refuses to run as root: a user with passwordless sudo.
	id "$STACK_USER" >/dev/null 2>&1 || useradd -m -s /bin/bash "$STACK_USER"
	echo "$STACK_USER ALL=(ALL) NOPASSWD: ALL" >/etc/sudoers.d/"$STACK_USER"
	chmod 0440 /etc/sudoers.d/"$STACK_USER"

	mkdir -p "$dir/wheels"
	# A container has no systemd: DevStack's systemctl calls (journald
	# restart, unit files) fail. run-as-stack bind-mounts this over
	# /usr/bin/systemctl inside its own mount namespace only. A shim earlier
	# in PATH is not enough: DevStack rewrites sudo's secure_path.
	printf '#!/bin/sh\nexit 0\n' >"$dir/systemctl"
	chmod 0755 "$dir/systemctl"

	# stack.sh installs bindep from PyPI without looking at OFFLINE. pip
	# finds this stand-in wheel instead: a console script that prints
	# nothing, since no plugin here lists bindep packages.
	python3 - "$dir/wheels/bindep-0.0.0-py3-none-any.whl" <<'PY'
import sys, zipfile
files = {
    "bindep/__init__.py": "",
    "bindep/main.py": "def main():\n    return 0\n",
    "bindep-0.0.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: bindep\nVersion: 0.0.0\n",
    "bindep-0.0.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: stackplan\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    "bindep-0.0.0.dist-info/entry_points.txt": "[console_scripts]\nbindep = bindep.main:main\n",
    "bindep-0.0.0.dist-info/top_level.txt": "bindep\n",
}
record = "".join(f"{name},,\n" for name in files) + "bindep-0.0.0.dist-info/RECORD,,\n"
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for name, text in files.items():
        z.writestr(name, text)
    z.writestr("bindep-0.0.0.dist-info/RECORD", record)
PY
	# No PyPI: pip looks only at the wheels folder.
	printf '[global]\nno-index = true\nfind-links = %s\n' "$dir/wheels" >"$dir/pip.conf"

	cat >"$dir/run-as-stack" <<EOF
#!/bin/sh
# Runs a command as $STACK_USER in a private mount namespace where the
# systemctl stand-in hides the real one. OFFLINE=True: every checkout is
# prefetched. Environment variables named on the command line pass through.
exec unshare -m sh -c 'standin=\$1 pipconf=\$2; shift 2; mount --bind "\$standin" /usr/bin/systemctl && exec sudo -u $STACK_USER -H env OFFLINE=True PIP_CONFIG_FILE="\$pipconf" "\$@"' run-as-stack "$dir/systemctl" "$dir/pip.conf" "\$@"
EOF
	chmod 0755 "$dir/run-as-stack"
	chmod -R a+rX "$dir"
	echo "$dir"
}

# requirements REPO makes the openstack/requirements checkout DevStack reads
# package names and constraints from; offline, it cannot clone the real one.
requirements() {
	local repo=${1:?usage: devstack-host.sh requirements REPO}
	mkdir -p "$repo"
	cd "$repo"
	git init -q -b master .
	# The packages stack.sh looks up in global-requirements even with every
	# service disabled.
	local pkgs=(keystonemiddleware python-memcached pymemcache python-openstackclient osc-lib os-testr PyMySQL psutil osc-placement
		openstacksdk python-keystoneclient oslo.config pbr setuptools pip)
	printf '%s\n' "${pkgs[@]}" >global-requirements.txt
	printf '%s===1.0.0\n' "${pkgs[@]}" >upper-constraints.txt
	git add -A
	git -c user.name=stackplan -c user.email=stackplan@invalid commit -qm requirements
}

case ${1:-} in
setup) shift; setup "$@" ;;
requirements) shift; requirements "$@" ;;
*)
	sed -n '2,12p' "$0" >&2
	exit 2
	;;
esac
