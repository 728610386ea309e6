# Sourced at every phase with the mode and phase as arguments.
echo "hello: plugin.sh $*"
if [[ "$1" == "stack" && "$2" == "install" ]]; then
    mkdir -p "$(dirname "$HELLO_CONF")"
    printf '[DEFAULT]\ngreeting = %s\n' "$HELLO_GREETING" > "$HELLO_CONF"
fi
if [[ "$1" == "clean" ]]; then
    rm -rf "$DEST/etc/hello"
fi
