/* The reset vector: included last by every test. */
        .code16
        .org 0xfff0
        ljmp $0xf000, $OFF(_start)
        .org 0x10000
