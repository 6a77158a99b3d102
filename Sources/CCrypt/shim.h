// libxcrypt (Debian `libcrypt-dev`): crypt_r with bcrypt ($2a$, $2b$, $2y$).
#include <crypt.h>
