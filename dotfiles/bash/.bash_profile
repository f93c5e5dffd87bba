# shellcheck shell=bash
# bash reads this instead of ~/.profile for login shells.
# shellcheck source=.profile
[ -f "$HOME/.profile" ] && . "$HOME/.profile"
