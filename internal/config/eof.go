package config

import "io"

var errEOF = io.EOF
