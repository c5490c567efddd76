"""EDP encryption: the RSA-1024 key exchange and AES-128-ECB with EDP's own padding."""

import os

from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .errors import EdpError

AES_KEY_SIZE = 16
RSA_KEY_BITS = 1024
_BLOCK = 16
_PAD_BASE = ord("0")


def pad(data: bytes) -> bytes:
    """EDP padding: n bytes (1..16) each of value ord('0') + n; aligned data gets 16 x 0x40."""
    count = _BLOCK - len(data) % _BLOCK
    return data + bytes([_PAD_BASE + count]) * count


def unpad(data: bytes) -> bytes:
    """Strip EDP padding: `last byte - '0'` bytes."""
    if not data:
        msg = "cannot unpad empty data"
        raise EdpError(msg)
    count = data[-1] - _PAD_BASE
    if not 1 <= count <= _BLOCK or count > len(data):
        msg = f"invalid padding byte 0x{data[-1]:02x}"
        raise EdpError(msg)
    return data[:-count]


class AesCipher:
    """AES-128-ECB with EDP padding, applied to everything after a packet's remaining length.

    ECB is what the protocol mandates; this is a protocol emulator, not a security design.
    """

    def __init__(self, key: bytes) -> None:
        """Use a 16-byte AES key."""
        if len(key) != AES_KEY_SIZE:
            msg = f"AES-128 key must be 16 bytes, got {len(key)}"
            raise EdpError(msg)
        self.key = key
        self._cipher = Cipher(algorithms.AES(key), modes.ECB())  # noqa: S305  # EDP mandates ECB

    def encrypt(self, plaintext: bytes) -> bytes:
        """Pad and encrypt."""
        encryptor = self._cipher.encryptor()
        return encryptor.update(pad(plaintext)) + encryptor.finalize()

    def decrypt(self, ciphertext: bytes) -> bytes:
        """Decrypt and unpad."""
        if not ciphertext or len(ciphertext) % _BLOCK:
            msg = f"ciphertext length {len(ciphertext)} is not a positive multiple of 16"
            raise EdpError(msg)
        decryptor = self._cipher.decryptor()
        return unpad(decryptor.update(ciphertext) + decryptor.finalize())


def new_session_key() -> bytes:
    """A random AES-128 key, as the platform makes one per connection."""
    return os.urandom(AES_KEY_SIZE)


class RsaKeyPair:
    """The device side of the key exchange: an RSA-1024 key pair."""

    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        """Wrap an existing private key."""
        self._private_key = private_key
        numbers = private_key.public_key().public_numbers()
        self.public_exponent = numbers.e
        self.modulus = numbers.n

    @classmethod
    def generate(cls) -> RsaKeyPair:
        """Make a fresh RSA-1024 key pair (exponent 65537)."""
        return cls(
            rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
        )  # EDP fixes RSA-1024

    def decrypt_session_key(self, encrypted_key: bytes) -> bytes:
        """Recover the AES key from an ENCRYPTRESP."""
        try:
            key = self._private_key.decrypt(encrypted_key, padding.PKCS1v15())
        except ValueError as err:
            msg = "ENCRYPTRESP key does not decrypt with this RSA key"
            raise EdpError(msg) from err
        if len(key) != AES_KEY_SIZE:
            msg = f"session key is {len(key)} bytes, expected 16"
            raise EdpError(msg)
        return key


def encrypt_session_key(public_exponent: int, modulus: int, key: bytes) -> bytes:
    """The platform side: encrypt the AES key to the device's public key (PKCS#1 v1.5)."""
    try:
        public_key = rsa.RSAPublicNumbers(public_exponent, modulus).public_key()
    except ValueError as err:
        msg = "ENCRYPTREQ does not hold a usable RSA public key"
        raise EdpError(msg) from err
    return public_key.encrypt(key, padding.PKCS1v15())
