# celery-repro/python:V: a Debian base with this machine's pyenv build of Python V at the prefix it was built for
# (its libpython is found through that path). Context: the pyenv version directory. Built by compose/images.sh.
ARG BASE=celery-repro/debian:bookworm
FROM ${BASE}
ARG PREFIX
COPY . ${PREFIX}
ENV PATH=${PREFIX}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN python3 -c "import ssl, sqlite3, ctypes, lzma, bz2, uuid" && python3 -m pip --version
