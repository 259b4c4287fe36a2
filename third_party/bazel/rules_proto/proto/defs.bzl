"""Offline shim for rules_proto: forwards to the native proto rules."""

proto_library = native.proto_library
proto_lang_toolchain = native.proto_lang_toolchain
