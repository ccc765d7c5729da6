// Command ferretdb runs FerretDB v1 on a loopback address, with its SQLite backend (--dir) or its
// PostgreSQL backend (--postgresql-url). It exists so the test suite has a MongoDB-compatible
// server without Docker or MongoDB binaries: embedding the library (instead of `go install`ing
// FerretDB's own command) avoids its missing version.txt panic.
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
	postgresqlURL := flag.String("postgresql-url", "", "PostgreSQL database to keep the data in instead of SQLite")
	flag.Parse()
	if (*dir == "") == (*postgresqlURL == "") {
		log.Fatal("exactly one of --dir and --postgresql-url is required")
	}

	config := &ferretdb.Config{Listener: ferretdb.ListenerConfig{TCP: *listen}}
	if *postgresqlURL != "" {
		config.Handler = "postgresql"
		config.PostgreSQLURL = *postgresqlURL
	} else {
		abs, err := filepath.Abs(*dir)
		if err != nil {
			log.Fatal(err)
		}
		if err := os.MkdirAll(abs, 0o755); err != nil {
			log.Fatal(err)
		}
		config.Handler = "sqlite"
		// WAL with synchronous=NORMAL: durable across process crashes (what tests kill), fsync only at
		// checkpoints; FULL made every write wait for the disk (about 150 updates/s).
		config.SQLiteURL = "file:" + abs + "/?_pragma=synchronous(normal)"
	}

	f, err := ferretdb.New(config)
	if err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	f.Run(ctx)
}
