# Sourced by the KVM tests: exits 77 (ctest's skip) with the reason when
# this host cannot run KVM guests.
if [ ! -e /dev/kvm ]; then
    echo "SKIP: /dev/kvm does not exist"
    exit 77
fi
if ! python3 -c 'import os; os.close(os.open("/dev/kvm", os.O_RDWR))' 2>/dev/null; then
    echo "SKIP: /dev/kvm does not open for this user (kvm group or root needed)"
    exit 77
fi
