"""The daemon's actors: thin trio tasks around the pure cores, one inbox each."""
