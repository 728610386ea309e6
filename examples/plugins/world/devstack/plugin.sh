echo "world: plugin.sh $*"
if [[ "$1" == "stack" && "$2" == "extra" ]]; then
    echo "world: hello.conf now says: $(grep greeting "$HELLO_CONF")"
fi
