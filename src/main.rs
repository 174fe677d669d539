fn main() {
    println!("posthog-charttest");
}
