# bash reads this instead of ~/.profile for login shells.
[ -f "$HOME/.profile" ] && . "$HOME/.profile"
