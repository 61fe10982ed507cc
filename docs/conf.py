# Sphinx configuration for the qemuutil manual (built by `make docs`).
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Only Sphinx's builtin pieces are used, so the python3-sphinx package from
# Debian is all the build needs.  `make docs` passes -W, so any warning
# (a broken reference, a page missing from a toctree) fails the build.

project = 'qemuutil'
author = 'the qemuutil contributors'
copyright = 'the qemuutil contributors; GPL-2.0-or-later'
version = '0.1.0'
release = version

root_doc = 'index'
source_suffix = {'.rst': 'restructuredtext'}
language = 'en'

# Sphinx must never read build output or editor droppings as sources.
exclude_patterns = ['_build', 'build', 'build-*', 'html', '.*', '**/.*']

# C is the language of every code sample; `highlight_language` makes plain
# "::" literal blocks render as C too.
primary_domain = 'c'
highlight_language = 'c'
pygments_style = 'sphinx'

# Typographic quotes would turn shell and C snippets into text that
# cannot be pasted back into a terminal.
smartquotes = False

html_theme = 'alabaster'
html_theme_options = {
    'description': 'QEMU 10.0 event-loop utilities as a library',
    'fixed_sidebar': True,
}
html_title = 'qemuutil %s' % version
html_show_sourcelink = False
html_static_path = []
