//! The conversions of a value read from text and written as text.
//!
//! A type that reads itself with `parse(&str) -> Result<Self, E>` and
//! writes itself with `Display` gets `FromStr`, `TryFrom<String>` and
//! `From<Self> for String` (what `#[serde(try_from = "String", into =
//! "String")]` asks for) from [`text_conversions!`], and a type whose text
//! is `as_str()` its `Display` from [`display_as_str!`].

/// `FromStr` and `TryFrom<String>` by `$name::parse`, and
/// `From<$name> for String` by its `Display`.
#[macro_export]
macro_rules! text_conversions {
    ($name:ty, $error:ty) => {
        impl ::std::str::FromStr for $name {
            type Err = $error;
            fn from_str(s: &str) -> ::std::result::Result<Self, $error> {
                Self::parse(s)
            }
        }

        impl ::std::convert::TryFrom<::std::string::String> for $name {
            type Error = $error;
            fn try_from(s: ::std::string::String) -> ::std::result::Result<Self, $error> {
                Self::parse(&s)
            }
        }

        impl ::std::convert::From<$name> for ::std::string::String {
            fn from(value: $name) -> ::std::string::String {
                ::std::string::ToString::to_string(&value)
            }
        }
    };
}

/// `Display` writing `as_str()`.
#[macro_export]
macro_rules! display_as_str {
    ($name:ty) => {
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
