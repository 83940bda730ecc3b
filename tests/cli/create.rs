//! `mmstore create`: a new, empty store; an existing path is refused unless
//! `--if-not-exists`, and then only a real store is accepted.

use std::fs;

use crate::common::*;

#[test]
fn create_makes_an_empty_store() {
    let scratch = Scratch::new();
    let store = scratch.store();
    ok(run(&["create", p(&store)]));
    assert!(store.is_dir());
    assert_eq!(ls(&store, &[]), Vec::<String>::new());
    assert_eq!(export(&store), b"");
    let info = info(&store);
    assert_eq!(info["records"]["live"], 0);
    assert_eq!(info["records"]["deleted"], 0);
    assert_eq!(info["records"]["replaced"], 0);
}

#[test]
fn create_leaves_no_temporary_directory_beside_the_store() {
    let scratch = Scratch::with_store();
    let names: Vec<String> = fs::read_dir(scratch.path(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["store"]);
}

#[test]
fn create_of_an_existing_store_exits_4_with_a_hint_and_keeps_its_records() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "a", "1");
    let before = snapshot(&store);
    let err = fails(&run(&["create", p(&store)]), 4);
    assert!(err.contains("exists"), "{err}");
    assert!(
        err.contains("--if-not-exists"),
        "the hint names the flag: {err}"
    );
    assert_unchanged(&store, &before);
}

#[test]
fn create_if_not_exists_accepts_an_existing_store_and_changes_nothing() {
    let scratch = Scratch::with_store();
    let store = scratch.store();
    append(&store, "a", "1");
    let before = snapshot(&store);
    ok(run(&["create", p(&store), "--if-not-exists"]));
    assert_unchanged(&store, &before);
    assert_eq!(get(&store, "a"), b"1");
}

#[test]
fn create_if_not_exists_makes_a_missing_store() {
    let scratch = Scratch::new();
    let store = scratch.store();
    ok(run(&["create", p(&store), "--if-not-exists"]));
    assert_eq!(ls(&store, &[]), Vec::<String>::new());
}

#[test]
fn create_if_not_exists_on_a_directory_that_is_not_a_store_exits_4() {
    let scratch = Scratch::new();
    let dir = scratch.path("photos");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("cat.jpg"), b"not a store").unwrap();
    let err = fails(&run(&["create", p(&dir), "--if-not-exists"]), 4);
    assert!(err.contains("not an mmstore store"), "{err}");
    assert_eq!(fs::read(dir.join("cat.jpg")).unwrap(), b"not a store");
}

#[test]
fn create_if_not_exists_on_a_plain_file_exits_4() {
    let scratch = Scratch::new();
    let file = scratch.file("notes.txt", "hello");
    fails(&run(&["create", p(&file), "--if-not-exists"]), 4);
    assert_eq!(fs::read(&file).unwrap(), b"hello");
}

#[test]
fn create_on_an_existing_plain_file_exits_4_and_leaves_it_alone() {
    let scratch = Scratch::new();
    let file = scratch.file("notes.txt", "hello");
    fails(&run(&["create", p(&file)]), 4);
    assert_eq!(fs::read(&file).unwrap(), b"hello");
}

#[test]
fn create_on_an_existing_empty_directory_exits_4() {
    let scratch = Scratch::new();
    let dir = scratch.path("empty");
    fs::create_dir(&dir).unwrap();
    fails(&run(&["create", p(&dir)]), 4);
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
}
