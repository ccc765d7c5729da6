// Command ferretdb runs FerretDB v1 with its SQLite backend on a loopback address. It exists so
// the test suite has a MongoDB-compatible server without Docker or MongoDB binaries: embedding the
// library (instead of `go install`ing FerretDB's own command) avoids its missing version.txt panic.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	dir := flag.String("dir", "", "directory for the SQLite databases (created if missing)")
	flag.Parse()
	if *dir == "" {
		log.Fatal("--dir is required")
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		log.Fatal(err)
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		// WAL with synchronous=NORMAL: durable across process crashes (what tests kill), fsync only at
		// checkpoints; FULL made every write wait for the disk (about 150 updates/s).
		SQLiteURL: "file:" + abs + "/?_pragma=synchronous(normal)",
	})
	if err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	f.Run(ctx)
}
