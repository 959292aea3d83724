"""Members: their profiles as pages show them, their tags, the rules that tag them, and the shop's counts."""
