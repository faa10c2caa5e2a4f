//! A plugin built against a future contract version (`chaosrt:plugin@9.0.0`), so end-to-end tests can
//! prove the host refuses it with a message naming both versions instead of a linker error.

#![allow(unsafe_code)] // wit-bindgen's generated export glue

wit_bindgen::generate!({
    inline: "
        package chaosrt:plugin@9.0.0;

        interface plugin {
            hello: func() -> string;
        }

        world newer {
            export plugin;
        }
    ",
    world: "newer",
});

struct Future;

impl exports::chaosrt::plugin::plugin::Guest for Future {
    fn hello() -> String {
        "from the future".into()
    }
}

export!(Future);
