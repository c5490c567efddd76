"""EDP encryption: padding, AES, the RSA key exchange and an encrypted stream."""

import pytest

from emulator.edp import (
    AesCipher,
    ConnReq,
    Decoder,
    EdpError,
    EncryptReq,
    EncryptResp,
    Message,
    MessageType,
    PingReq,
    PingResp,
    RsaKeyPair,
    SaveData,
    Unknown,
    encode,
    encrypt_session_key,
    new_session_key,
)
from emulator.edp.crypto import pad, unpad

KEY = bytes(range(16))


@pytest.mark.parametrize(
    ("length", "pad_byte", "count"),
    [(0, 0x40, 16), (1, 0x3F, 15), (15, 0x31, 1), (16, 0x40, 16), (17, 0x3F, 15)],
)
def test_padding_rule(length: int, pad_byte: int, count: int) -> None:
    padded = pad(b"a" * length)
    assert padded[length:] == bytes([pad_byte]) * count
    assert unpad(padded) == b"a" * length


def test_aligned_data_gets_a_full_block_of_0x40() -> None:
    ciphertext = AesCipher(KEY).encrypt(b"x" * 32)
    assert len(ciphertext) == 48


@pytest.mark.parametrize("padded", [b"", b"abc\x30", b"abc\x51", b"\x3e"])
def test_bad_padding_is_refused(padded: bytes) -> None:
    with pytest.raises(EdpError):
        unpad(padded)


@pytest.mark.parametrize("plaintext", [b"", b"1", b"0123456789abcdef", bytes(1000)])
def test_aes_round_trip(plaintext: bytes) -> None:
    cipher = AesCipher(KEY)
    ciphertext = cipher.encrypt(plaintext)
    assert ciphertext != pad(plaintext)
    assert cipher.decrypt(ciphertext) == plaintext


def test_aes_refuses_bad_keys_and_ciphertext_lengths() -> None:
    with pytest.raises(EdpError, match="16 bytes"):
        AesCipher(b"short")
    with pytest.raises(EdpError, match="multiple of 16"):
        AesCipher(KEY).decrypt(b"x" * 15)


def test_rsa_key_exchange() -> None:
    pair = RsaKeyPair.generate()
    assert pair.modulus.bit_length() == 1024
    request = Decoder().feed(encode(EncryptReq(pair.public_exponent, pair.modulus)))[0]
    assert isinstance(request, EncryptReq)
    key = new_session_key()
    encrypted = encrypt_session_key(request.public_exponent, request.modulus, key)
    assert len(encrypted) == 128
    response = Decoder().feed(encode(EncryptResp(encrypted)))[0]
    assert isinstance(response, EncryptResp)
    assert pair.decrypt_session_key(response.encrypted_key) == key


def test_rsa_refuses_a_foreign_ciphertext_and_a_wrong_key_length() -> None:
    pair = RsaKeyPair.generate()
    with pytest.raises(EdpError, match="does not decrypt"):
        pair.decrypt_session_key(bytes(5))
    wrong_length = encrypt_session_key(pair.public_exponent, pair.modulus, b"k" * 8)
    with pytest.raises(EdpError, match="8 bytes"):
        pair.decrypt_session_key(wrong_length)


def test_unusable_public_key_is_refused() -> None:
    with pytest.raises(EdpError, match="usable RSA public key"):
        encrypt_session_key(2, 15, KEY)


def test_encrypted_packet_layout() -> None:
    cipher = AesCipher(KEY)
    login = ConnReq("43101", "abcdefg")
    body = encode(login)[2:]
    encrypted_login = encode(login, cipher)
    assert encrypted_login[1] == 32
    assert cipher.decrypt(encrypted_login[2:]) == body


@pytest.mark.parametrize("message", [PingReq(), PingResp(), Unknown(MessageType.UPDATEREQ, b"")])
def test_empty_bodies_stay_clear_on_an_encrypted_link(message: Message) -> None:
    # The C SDK's SymmEncrypt/SymmDecrypt leave a remaining length of 0 alone (docs/edp.md).
    cipher = AesCipher(KEY)
    packet = encode(message, cipher)
    assert packet == encode(message)
    assert len(packet) == 2
    decoder = Decoder()
    decoder.cipher = cipher
    assert decoder.feed(packet) == [message]


def test_an_encrypted_empty_body_still_decodes() -> None:
    # A sender that encrypts the empty body anyway sends one block of padding.
    cipher = AesCipher(KEY)
    decoder = Decoder()
    decoder.cipher = cipher
    assert decoder.feed(b"\xc0\x10" + cipher.encrypt(b"")) == [PingReq()]


def test_key_exchange_messages_are_never_encrypted() -> None:
    cipher = AesCipher(KEY)
    response = EncryptResp(b"\x01" * 128)
    assert encode(response, cipher) == encode(response)


def test_decoder_pauses_after_key_exchange_until_the_cipher_is_set() -> None:
    cipher = AesCipher(KEY)
    data = SaveData.split_string(",;t,1", msg_id=3)
    stream = encode(EncryptResp(b"k" * 128)) + encode(ConnReq("1", "k"), cipher)
    stream += encode(data, cipher)
    for cut in range(len(stream) + 1):
        decoder = Decoder()
        first = decoder.feed(stream[:cut])
        first += decoder.feed(stream[cut:])
        assert first == [EncryptResp(b"k" * 128)]
        assert decoder.awaiting_cipher
        decoder.cipher = cipher
        assert decoder.feed(b"") == [ConnReq("1", "k"), data]
        assert decoder.cipher is cipher
        assert decoder.buffered == 0


def test_decoder_resumes_in_plaintext_when_cipher_set_to_none() -> None:
    decoder = Decoder()
    assert decoder.feed(encode(EncryptReq(3, 1 << 1023)) + encode(PingReq())) == [
        EncryptReq(3, 1 << 1023)
    ]
    decoder.cipher = None
    assert decoder.feed(b"") == [PingReq()]
