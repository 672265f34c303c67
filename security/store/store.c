/* placeholder: implemented by the store module */
#include "security/store/store.h"
