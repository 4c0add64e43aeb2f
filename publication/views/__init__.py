"""Every public page (一公开, issue 13 §1), no login needed, one module per part of the site:
`home` (the front page), `registry` (the one list and two registries, 一单两库), `plans` (the
annual plans), `draws` (each draw's announcement, result and proof), `results` (the results and
their open data). `base` holds what the paginated lists share. Routed by publication/urls/."""
