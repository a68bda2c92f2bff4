"""The schema migrations, oldest first; each is read and fixed by hand after autogenerate."""
