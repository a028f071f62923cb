package jsclient

// The bundler lives in its own module (internal/build/go.mod) so that users
// of this library never see esbuild in their module graph.
//go:generate go -C internal/build run . ../..
