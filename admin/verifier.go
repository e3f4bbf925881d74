package admin

// Credential kinds, in the shape of age's Identity: each kind of credential owns what it
// looks like and how it is checked, behind one small interface, and is registered below.
// Authenticate (credentials.go) stays the one credential check: it throttles and logs,
// and asks the first kind whose shape matches to verify. Adding a kind is one new file
// (verify_<kind>.go, with its Kind constant in credentials.go) and one line here.

// verifier is one kind of credential.
type verifier interface {
	// looks reports whether cred has this kind's shape. It decides which kind checks a
	// credential, never whether it is valid; a credential of this shape is checked by
	// this kind alone, so shapes must not overlap except with the last, shapeless kind.
	looks(cred []byte) bool
	// verify checks cred and returns its grant, or an error that says nothing of which
	// databases, keys or tokens exist (ErrWrongCredential, or a JWT's sqld code).
	verify(a *Admin, cred []byte) (*Grant, error)
}

// credentialKind is a registered verifier with the names it goes by.
type credentialKind struct {
	kind Kind   // what the auth log names for a refused credential of this shape
	what string // how ValidateAccessKey names it when a key has its shape ("": never)
	verifier
}

// credentialKinds is every kind, in the order their shapes are tried.
var credentialKinds = []credentialKind{
	{KindToken, "a named token (" + tokenPrefix + "…)", tokens{}},
	{KindJWT, "a JWT", jwts{}},
	{kindUnknown, "", secrets{}}, // the admin secret or an access key: no shape, so last
}
