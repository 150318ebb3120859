"""The bundled demo sites (a news portal and a mirror blog) served on loopback."""
