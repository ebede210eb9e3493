# Installs the pinned npm packages of tests/integration/node into the build
# tree once (offline afterwards) and prints the folder they are in.
npm_peers() {
  local dir=$NOTIBUS_BUILD_DIR/npm-peers
  if [[ ! -f $dir/node_modules/.notibus-ready || $dir/package.json -ot $NOTIBUS_SOURCE_DIR/tests/integration/node/package.json ]]; then
    mkdir -p "$dir"
    cp "$NOTIBUS_SOURCE_DIR"/tests/integration/node/* "$dir"/
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error >/dev/null) || return 1
    touch "$dir/node_modules/.notibus-ready"
  fi
  echo "$dir"
}
