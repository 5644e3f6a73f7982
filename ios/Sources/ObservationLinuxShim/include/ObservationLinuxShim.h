// Nothing to import: the target only defines a symbol libswiftObservation.so needs on Debian trixie.
