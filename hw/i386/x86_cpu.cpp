#include "mimic/hw/x86_cpu.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "mimic/hw/machine.h"

namespace mimic::hw {
namespace {

// A CPUID feature bit as a bool property, as QEMU's x86 CPU has one per
// feature name ("sse2", "lm", ...). It reads the CPU's feature words, so it
// shows what the guest's CPUID reports.
class FeatureBitType final : public qom::PropertyType {
public:
    explicit FeatureBitType(const x86::CpuFeatureName& feature) : word_(feature.word), mask_(1u << feature.bit) {}

    std::string_view name() const override { return "bool"; }
    // Parsing and type checks are bool_type()'s, on a bool of our own.
    void parse(const qom::PropertySlot& slot, std::string_view text) const override {
        bool value = false;
        qom::bool_type()->parse(qom::PropertySlot{slot.object, slot.property, &value}, text);
        store(slot, value);
    }
    void set(const qom::PropertySlot& slot, const nlohmann::json& json) const override {
        bool value = false;
        qom::bool_type()->set(qom::PropertySlot{slot.object, slot.property, &value}, json);
        store(slot, value);
    }
    nlohmann::json get(const qom::PropertySlot& slot) const override { return bit(slot); }
    std::string print(const qom::PropertySlot& slot) const override { return bit(slot) ? "true" : "false"; }
    // The model fills the words (X86CpuDevice::configure).
    void set_default(const qom::PropertySlot&, const qom::DefaultValue&) const override {}

private:
    void store(const qom::PropertySlot& slot, bool value) const {
        uint32_t& word = static_cast<x86::CpuFeatures*>(slot.field)->*word_;
        word = value ? word | mask_ : word & ~mask_;
    }
    bool bit(const qom::PropertySlot& slot) const {
        return (static_cast<const x86::CpuFeatures*>(slot.field)->*word_) & mask_;
    }

    uint32_t x86::CpuFeatures::*word_;
    uint32_t mask_;
};

MIMIC_REGISTER_TYPE({
    .name = kTypeCpu,
    .parent = qom::kTypeDevice,
    .abstract = true,
    .bus_type = "",
    .categories = {qom::DeviceCategory::kCpu},
    // No CPU hotplug: -device and device_add cannot make one.
    .user_creatable = false,
});

MIMIC_REGISTER_TYPE({
    .name = kTypeX86Cpu,
    .parent = kTypeCpu,
    .abstract = true,
    .properties = X86CpuDevice::properties(),
});

// One concrete type per model, as QEMU registers them.
const struct ModelTypes {
    ModelTypes() {
        for (const x86::CpuModel& model : x86::cpu_models()) {
            qom::TypeRegistry::instance().add({
                .name = x86_cpu_type_name(model.name),
                .parent = kTypeX86Cpu,
                .factory = qom::factory_of<X86CpuDevice>(),
                .description = std::string(model.description),
            });
        }
        // As QEMU built with KVM: -cpu host, which only KVM can run.
        qom::TypeRegistry::instance().add({
            .name = x86_cpu_type_name("host"),
            .parent = kTypeX86Cpu,
            .factory = qom::factory_of<X86CpuDevice>(),
            .description = "processor with all supported host features",
        });
    }
} model_types;

}  // namespace

std::vector<qom::Property> X86CpuDevice::properties() {
    using D = X86CpuDevice;
    std::vector<qom::Property> list = {
        // Plain QOM properties in QEMU ("int", "string").
        qom::prop::object_int("family", &D::family_, 0),
        qom::prop::object_int("model", &D::model_, 0),
        qom::prop::object_int("stepping", &D::stepping_, 0),
        qom::prop::object_string("vendor", &D::vendor_),
        qom::prop::object_string("model-id", &D::model_id_),
        // qdev properties.
        qom::prop::uint32("level", &D::level_, 0),
        qom::prop::uint32("xlevel", &D::xlevel_, 0),
        qom::prop::uint32("phys-bits", &D::phys_bits_, 0),
        qom::prop::uint32("apic-id", &D::apic_id_, UINT32_MAX),
        qom::prop::int32("node-id", &D::node_id_, -1),
        qom::prop::int32("socket-id", &D::socket_id_, 0),
        qom::prop::int32("die-id", &D::die_id_, 0),
        qom::prop::int32("core-id", &D::core_id_, 0),
        qom::prop::int32("thread-id", &D::thread_id_, 0),
        qom::prop::boolean("start-powered-off", &D::start_powered_off_, false),
    };
    for (const x86::CpuFeatureName& feature : x86::cpu_feature_names()) {
        qom::Property p;
        p.name = std::string(feature.name);
        p.type = std::make_shared<FeatureBitType>(feature);
        p.field = qom::prop::detail::field_of(&D::features_);
        list.push_back(std::move(p));
    }
    return list;
}

void X86CpuDevice::configure(const x86::CpuModel& model, const Placement& placement) {
    // QEMU's decoding of CPUID.1:EAX: the extended family only counts for
    // family 15; the extended model always does.
    family_ = (model.version >> 8) & 0xf;
    if (family_ == 0xf) family_ += (model.version >> 20) & 0xff;
    model_ = ((model.version >> 4) & 0xf) | ((model.version >> 12) & 0xf0);
    stepping_ = model.version & 0xf;
    vendor_ = std::string(model.vendor);
    model_id_ = std::string(model.brand);
    level_ = model.level;
    xlevel_ = model.xlevel;
    features_ = model.features;
    phys_bits_ = x86::physical_address_bits(model);
    index_ = placement.index;
    apic_id_ = placement.apic_id;
    socket_id_ = placement.socket_id;
    die_id_ = placement.die_id;
    core_id_ = placement.core_id;
    thread_id_ = placement.thread_id;
}

nlohmann::json X86CpuDevice::topology_props(bool with_dies) const {
    nlohmann::json props = {{"core-id", core_id_}, {"thread-id", thread_id_}};
    if (with_dies) props["die-id"] = die_id_;
    props["socket-id"] = socket_id_;
    return props;
}

std::string x86_cpu_type_name(std::string_view model) { return std::string(model) + "-x86_64-cpu"; }

void create_x86_cpus(Machine& machine, const x86::CpuModel& model, const cli::SmpConfig& smp) {
    const unsigned threads = std::max(smp.threads, 1u), cores = std::max(smp.cores, 1u),
                   dies = std::max(smp.dies, 1u);
    for (unsigned i = 0; i < smp.cpus; ++i) {
        auto cpu = qom::new_object<X86CpuDevice>(x86_cpu_type_name(model.name));
        // Threads innermost, then cores, dies and sockets; the APIC id is
        // the index, as the accelerator numbers the local APICs.
        cpu->configure(model, {.index = i,
                               .apic_id = i,
                               .socket_id = static_cast<int32_t>(i / (threads * cores * dies)),
                               .die_id = static_cast<int32_t>(i / (threads * cores) % dies),
                               .core_id = static_cast<int32_t>(i / threads % cores),
                               .thread_id = static_cast<int32_t>(i % threads)});
        static_cast<X86CpuDevice&>(machine.add_unattached(std::move(cpu))).realize();
    }
}

std::vector<X86CpuDevice*> x86_cpus(const Machine& machine) {
    std::vector<X86CpuDevice*> cpus;
    for (qom::Object* child : machine.unattached().children()) {
        if (auto* cpu = dynamic_cast<X86CpuDevice*>(child)) cpus.push_back(cpu);
    }
    std::sort(cpus.begin(), cpus.end(), [](auto* a, auto* b) { return a->index() < b->index(); });
    return cpus;
}

}  // namespace mimic::hw
