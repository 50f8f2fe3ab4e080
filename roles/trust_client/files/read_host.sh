# One look at a client host for the trust_client role (sh -c; the names come in the environment):
#   package <name> <dpkg status>        for each of DCT_PACKAGES that dpkg knows
#   passwd <user>:x:<uid>:<gid>:...     for each of DCT_USERS that exists
#   config <user> <base64>              each such user's ~/.docker/config.json, when there is one
#   file <path> <base64>                each of DCT_FILES that exists
if [ -n "$DCT_PACKAGES" ]; then
  # shellcheck disable=SC2086  # a list of package names
  dpkg-query --show --showformat='package ${Package} ${db:Status-Status}\n' $DCT_PACKAGES 2>/dev/null
fi
for user in $DCT_USERS; do
  entry=$(getent passwd "$user") || continue
  echo "passwd $entry"
  config="$(printf '%s' "$entry" | cut -d: -f6)/.docker/config.json"
  if [ -f "$config" ]; then
    printf 'config %s ' "$user"
    base64 -w0 < "$config"
    echo
  fi
done
for path in $DCT_FILES; do
  if [ -f "$path" ]; then
    printf 'file %s ' "$path"
    base64 -w0 < "$path"
    echo
  fi
done
exit 0
