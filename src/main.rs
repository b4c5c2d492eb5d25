fn main() {
    println!("vixshield");
}
