-- notary-server 0.7: the changefeed (/v2/_trust/changefeed) and its categories.
CREATE TABLE `change_category` (
  `category` varchar(20) NOT NULL,
  PRIMARY KEY (`category`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

INSERT INTO `change_category` VALUES ('update'), ('deletion');

CREATE TABLE `changefeed` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `created_at` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `gun` varchar(255) NOT NULL,
  `version` int(11) NOT NULL,
  `sha256` char(64) DEFAULT NULL,
  `category` varchar(20) NOT NULL DEFAULT 'update',
  PRIMARY KEY (`id`),
  KEY `idx_changefeed_gun` (`gun`),
  CONSTRAINT `changefeed_category` FOREIGN KEY (`category`) REFERENCES `change_category` (`category`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
