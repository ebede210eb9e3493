# Conan 2 recipe for notibus. Prove it offline against Debian's packages with
# the profile in profiles/debian12 (see docs/packaging.md, "Conan 2").
import os

from conan import ConanFile
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout
from conan.tools.files import copy

CHANNEL_MODES = ["builtin", "module", "off"]
CHANNELS = ("webhook", "callmebot", "email", "syslog", "mqtt", "service")


class NotibusConan(ConanFile):
    name = "notibus"
    version = "1.0.0"
    description = "C++20 notification bus: webhook, email, Callmebot and custom channels, one YAML file"
    topics = ("notifications", "webhook", "smtp", "asio")
    settings = "os", "arch", "compiler", "build_type"
    options = {
        "shared": [True, False],
        "fPIC": [True, False],
        "channel_webhook": CHANNEL_MODES,
        "channel_callmebot": CHANNEL_MODES,
        "channel_email": CHANNEL_MODES,
        "channel_syslog": CHANNEL_MODES,
        "channel_mqtt": CHANNEL_MODES,  # through Eclipse Paho C
        "channel_service": CHANNEL_MODES,  # the engine of the service definitions
        "with_jetstream": [True, False],  # the shared queue (`queue:`), through libnats
    }
    default_options = {
        "shared": False,
        "fPIC": True,
        "channel_webhook": "module",
        "channel_callmebot": "module",
        "channel_email": "module",
        "channel_syslog": "module",
        "channel_mqtt": "module",
        "channel_service": "module",
        "with_jetstream": True,
    }

    def export_sources(self):
        # The recipe lives in conan/; the sources are the repository around it.
        root = os.path.join(self.recipe_folder, "..")
        for pattern in ("CMakeLists.txt", "cmake/*", "core/*", "plugins/*", "examples/*"):
            copy(self, pattern, src=root, dst=self.export_sources_folder)

    def config_options(self):
        if self.settings.os == "Windows":
            del self.options.fPIC

    def configure(self):
        if self.options.shared:
            self.options.rm_safe("fPIC")

    def layout(self):
        cmake_layout(self)

    def requirements(self):
        self.requires("boost/1.81.0", transitive_headers=True)  # Asio is in the public API
        self.requires("openssl/3.0.13")
        self.requires("yaml-cpp/0.7.0")
        if self.options.with_jetstream:
            self.requires("cnats/3.4.1")
        if self.options.channel_mqtt != "off":
            self.requires("paho-mqtt-c/1.3.12")

    def build_requirements(self):
        self.test_requires("gtest/1.12.1")

    def generate(self):
        tc = CMakeToolchain(self)
        tc.variables["BUILD_SHARED_LIBS"] = bool(self.options.shared)
        tc.variables["NOTIBUS_BUILD_TESTS"] = False
        tc.variables["NOTIBUS_BUILD_BENCH"] = False
        tc.variables["NOTIBUS_JETSTREAM"] = bool(self.options.with_jetstream)
        for channel in CHANNELS:
            tc.variables[f"NOTIBUS_CHANNEL_{channel.upper()}"] = str(self.options.get_safe(f"channel_{channel}"))
        tc.generate()
        CMakeDeps(self).generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def package(self):
        CMake(self).install()

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "notibus")
        self.cpp_info.set_property("pkg_config_name", "notibus")

        sdk = self.cpp_info.components["plugin_sdk"]
        sdk.set_property("cmake_target_name", "notibus::plugin_sdk")
        sdk.includedirs = ["include"]
        sdk.libdirs = []
        sdk.bindirs = []
        # notibus_add_channel_module(), for out-of-tree channels.
        self.cpp_info.set_property("cmake_build_modules",
                                   [os.path.join("lib", "cmake", "notibus", "notibusChannelModule.cmake")])

        core = self.cpp_info.components["notibus"]
        core.set_property("cmake_target_name", "notibus::notibus")
        core.libs = ["notibus"]
        core.defines = ["BOOST_ASIO_NO_DEPRECATED"]
        core.requires = ["plugin_sdk"]
        core.system_libs = ["pthread", "dl"] if self.settings.os in ("Linux", "FreeBSD") else []
        # A dependency the profile declares in [platform_requires] has no package
        # to point at (and CMakeDeps refuses component requires on it, conan
        # issue 17348): link the system's library by name instead.
        # Boost.JSON: the service definition format's compiled form.
        core_deps = [("boost", "boost::headers", []),
                     ("boost", "boost::json", ["boost_json"]),
                     ("openssl", "openssl::openssl", ["ssl", "crypto"]),
                     ("yaml-cpp", "yaml-cpp::yaml-cpp", ["yaml-cpp"])]
        if self.options.with_jetstream:
            core_deps.append(("cnats", "cnats::cnats", ["nats"]))
        for dep, component, system_libs in core_deps:
            if self._packaged(dep):
                core.requires.append(component)
            else:
                core.system_libs += system_libs
        # Markdown and HTML bodies (cmark-gfm, gumbo: no Conan Center package of
        # cmark-gfm, so both come from the system, e.g. Debian's libcmark-gfm-dev,
        # libcmark-gfm-extensions-dev and libgumbo-dev). Modules link them
        # themselves; channels built into the library need them at link time.
        if any(str(self.options.get_safe(f"channel_{c}")) == "builtin" for c in CHANNELS):
            core.system_libs += ["cmark-gfm-extensions", "cmark-gfm", "gumbo"]
        if str(self.options.channel_mqtt) == "builtin":
            if self._packaged("paho-mqtt-c"):
                core.requires.append("paho-mqtt-c::paho-mqtt-c")
            else:
                core.system_libs.append("paho-mqtt3as")
        # A bus served over HTTP (notibus/http_service.hpp): Beast and Boost.JSON
        # inside, OpenSSL for the HTTPS listener.
        server = self.cpp_info.components["server"]
        server.set_property("cmake_target_name", "notibus::server")
        server.set_property("pkg_config_name", "notibus-server")
        server.libs = ["notibus_server"]
        server.requires = ["notibus"]
        for dep, component, system_libs in (("boost", "boost::json", ["boost_json"]),
                                            ("boost", "boost::url", ["boost_url"]),
                                            ("openssl", "openssl::openssl", ["ssl", "crypto"])):
            if self._packaged(dep):
                server.requires.append(component)
            else:
                server.system_libs += system_libs
        # Channel modules, for a config's plugin_dirs; the program also finds
        # them itself through NOTIBUS_PLUGIN_PATH.
        modules = os.path.join(self.package_folder, "lib", "notibus")
        self.runenv_info.define_path("NOTIBUS_PLUGIN_DIR", modules)
        self.runenv_info.prepend_path("NOTIBUS_PLUGIN_PATH", modules)

    def _packaged(self, name):
        try:
            return self.dependencies[name].package_folder is not None
        except KeyError:
            return False
