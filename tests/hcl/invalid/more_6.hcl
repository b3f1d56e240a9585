a {
 b {
}
