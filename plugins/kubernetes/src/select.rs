//! Which pods a kill takes: chaostoolkit-kubernetes' `_select_pods` (modes `fixed` and `percentage`,
//! `all`, `rand`, order `alphabetic` or `oldest`) and Chaos Mesh's selection modes (`one`, `all`,
//! `fixed-percent`, `random-max-percent`), on pods already listed. Pure, so it is tested on the host.

use chaosrt_sdk::Error;
use chaosrt_sdk::serde_json::Value;

/// How many pods, and which.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    pub mode: Mode,
    /// `qty`: a count for `fixed`, a percentage for the percent modes.
    pub qty: i64,
    /// chaosk8s' `all`: every matching pod, whatever the mode.
    pub all: bool,
    /// chaosk8s' `rand`: a random sample rather than the first ones.
    pub rand: bool,
    pub oldest_first: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// chaosk8s: the first `qty` (or a random `qty` with `rand`).
    Fixed,
    /// chaosk8s: `ceil(qty% of the pods)`, first or random.
    Percentage,
    /// Chaos Mesh: one random pod.
    One,
    /// Chaos Mesh: every pod.
    All,
    /// Chaos Mesh: `ceil(qty% of the pods)`, random.
    FixedPercent,
    /// Chaos Mesh: a random percentage in [0, qty], then `ceil` of that share, random.
    RandomMaxPercent,
}

impl Mode {
    pub fn parse(mode: &str) -> Result<Mode, Error> {
        Ok(match mode {
            "fixed" => Mode::Fixed,
            "percentage" => Mode::Percentage,
            "one" => Mode::One,
            "all" => Mode::All,
            "fixed-percent" => Mode::FixedPercent,
            "random-max-percent" => Mode::RandomMaxPercent,
            // chaosk8s' words, and the modes chaosrt adds.
            other => {
                return Err(Error::failed(format!(
                    "Cannot select pods. Mode '{other}' is invalid. (chaosrt takes fixed, \
                     percentage, and Chaos Mesh's one, all, fixed-percent, random-max-percent)"
                )));
            }
        })
    }
}

impl Selection {
    /// Checks the arguments as chaosk8s does, in its order and words.
    pub fn new(mode: &str, qty: i64, all: bool, rand: bool, order: &str) -> Result<Self, Error> {
        if qty < 0 {
            return Err(Error::failed(format!(
                "Cannot select pods. Quantity '{qty}' is negative."
            )));
        }
        let mode = Mode::parse(mode)?;
        let oldest_first = match order {
            "alphabetic" => false,
            "oldest" => true,
            other => {
                return Err(Error::failed(format!(
                    "Cannot select pods. Order '{other}' is invalid."
                )));
            }
        };
        if matches!(mode, Mode::FixedPercent | Mode::RandomMaxPercent) && !(1..=100).contains(&qty)
        {
            return Err(Error::failed(format!(
                "Cannot select pods. Mode '{}' takes a qty from 1 to 100, not {qty}.",
                if mode == Mode::FixedPercent {
                    "fixed-percent"
                } else {
                    "random-max-percent"
                }
            )));
        }
        Ok(Selection {
            mode,
            qty,
            all,
            rand,
            oldest_first,
        })
    }

    /// The pods to kill out of `pods` (in the API server's list order, which is by name), using
    /// `random(n)` for a number in `0..n`.
    pub fn pick(
        &self,
        mut pods: Vec<Value>,
        random: &mut impl FnMut(usize) -> usize,
    ) -> Vec<Value> {
        if self.oldest_first {
            // Stable: pods created in the same second keep the list's order. RFC 3339 UTC
            // timestamps as the API server writes them sort as text.
            pods.sort_by(|a, b| created(a).cmp(created(b)));
        }
        let n = pods.len();
        let percent = |p: i64| (p as usize * n).div_ceil(100);
        let (count, random_pick) = match self.mode {
            _ if self.all => return pods,
            Mode::All => return pods,
            Mode::Fixed => (self.qty as usize, self.rand),
            Mode::Percentage => (percent(self.qty), self.rand),
            Mode::One => (1, true),
            Mode::FixedPercent => (percent(self.qty), true),
            Mode::RandomMaxPercent => (percent(random(self.qty as usize + 1) as i64), true),
        };
        let count = count.min(n);
        if !random_pick {
            pods.truncate(count);
            return pods;
        }
        // A partial Fisher-Yates shuffle: `count` distinct pods, each subset equally likely, in the
        // order drawn (as Python's random.sample).
        for i in 0..count {
            let j = i + random(n - i);
            pods.swap(i, j);
        }
        pods.truncate(count);
        pods
    }
}

fn created(pod: &Value) -> &str {
    pod["metadata"]["creationTimestamp"].as_str().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chaosrt_sdk::serde_json::json;

    fn pods(n: usize) -> Vec<Value> {
        // Names in list order; creation times reversed, so `oldest` turns the order around.
        (0..n)
            .map(|i| {
                json!({"metadata": {"name": format!("p{i}"),
                                    "creationTimestamp": format!("2026-01-01T00:00:{:02}Z", 59 - i)}})
            })
            .collect()
    }

    fn names(picked: &[Value]) -> Vec<&str> {
        picked
            .iter()
            .map(|p| p["metadata"]["name"].as_str().unwrap())
            .collect()
    }

    fn first(_: usize) -> usize {
        0
    }

    #[test]
    fn chaosk8s_modes_take_the_first_pods_in_list_or_age_order() {
        let s = |mode, qty, order| Selection::new(mode, qty, false, false, order).unwrap();
        assert_eq!(
            names(&s("fixed", 1, "alphabetic").pick(pods(3), &mut first)),
            ["p0"]
        );
        assert_eq!(
            names(&s("fixed", 2, "oldest").pick(pods(3), &mut first)),
            ["p2", "p1"]
        );
        assert_eq!(
            s("fixed", 0, "alphabetic").pick(pods(3), &mut first).len(),
            0
        );
        assert_eq!(
            s("fixed", 9, "alphabetic").pick(pods(3), &mut first).len(),
            3
        );
        // ceil(34% of 3) = 2; ceil(1% of 3) = 1; 100% = all.
        assert_eq!(
            s("percentage", 34, "alphabetic")
                .pick(pods(3), &mut first)
                .len(),
            2
        );
        assert_eq!(
            s("percentage", 1, "alphabetic")
                .pick(pods(3), &mut first)
                .len(),
            1
        );
        assert_eq!(
            s("percentage", 100, "alphabetic")
                .pick(pods(4), &mut first)
                .len(),
            4
        );
        let all = Selection::new("fixed", 1, true, false, "alphabetic").unwrap();
        assert_eq!(all.pick(pods(3), &mut first).len(), 3);
    }

    #[test]
    fn random_picks_are_distinct_and_chaos_mesh_modes_count_as_chaos_mesh_does() {
        let mut state = 7usize;
        let mut random = |n: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        let s = |mode, qty| Selection::new(mode, qty, false, true, "alphabetic").unwrap();
        for _ in 0..50 {
            let picked = s("fixed", 3).pick(pods(5), &mut random);
            let mut n = names(&picked);
            n.sort();
            n.dedup();
            assert_eq!(n.len(), 3);
            assert_eq!(s("one", 0).pick(pods(5), &mut random).len(), 1);
            assert_eq!(s("all", 0).pick(pods(5), &mut random).len(), 5);
            assert_eq!(s("fixed-percent", 50).pick(pods(5), &mut random).len(), 3);
            assert!(s("random-max-percent", 40).pick(pods(5), &mut random).len() <= 2);
        }
    }

    #[test]
    fn bad_arguments_fail_in_chaosk8s_words() {
        let err = |mode, qty, order| Selection::new(mode, qty, false, false, order).unwrap_err();
        assert_eq!(
            err("fixed", -1, "alphabetic"),
            Error::failed("Cannot select pods. Quantity '-1' is negative.")
        );
        assert!(
            err("sometimes", 1, "alphabetic")
                .to_string()
                .starts_with("Cannot select pods. Mode 'sometimes' is invalid.")
        );
        assert_eq!(
            err("fixed", 1, "newest"),
            Error::failed("Cannot select pods. Order 'newest' is invalid.")
        );
        assert!(
            err("fixed-percent", 0, "alphabetic")
                .to_string()
                .contains("from 1 to 100")
        );
    }
}
